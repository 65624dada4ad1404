import { describe, expect, it } from "vitest";
import { createPiiRedactionPlugin, type PiiRedactionOptions } from "../src/index.js";
import { chat, countingMeter, exchange, lastSent, sseData, startHarness, streamedText } from "./helpers.js";

const PII_REPLY =
  "Sure: write to john.doe@example.com, call +44 20 7946 0958, the card is 4111 1111 1111 1111 " +
  "and the key sk-proj-abcdefghijklmnopqrstuvwxyz012345. Order 4111111111111112 is just an id.";
const REDACTED_REPLY =
  "Sure: write to [REDACTED:email], call [REDACTED:phone], the card is [REDACTED:card] " +
  "and the key [REDACTED:api-key]. Order 4111111111111112 is just an id.";
// Fragments that must never reach the client, in any chunk.
const LEAKS = ["john", "example.com", "7946", "4111 1111", "abcdefghij"];

async function setup(
  options: PiiRedactionOptions = {},
  reply: (choice: number) => string = () => PII_REPLY,
  chunkTokens = 1,
) {
  const { meter, counts } = countingMeter();
  const harness = await startHarness([createPiiRedactionPlugin({ meter, ...options })], {
    upstream: { reply: (request) => reply(request.choiceIndex), chunkTokens },
  });
  return { ...harness, counts };
}

describe("PII redaction on requests", () => {
  it("redacts every message's text (strings and text parts) before it leaves the gateway", async () => {
    const { gateway, upstream, counts } = await setup({ on: ["request"] });
    const response = await exchange(gateway, {
      model: "mock-1",
      messages: [
        { role: "system", content: "The operator is ops@corp.io." },
        {
          role: "user",
          content: [
            { type: "text", text: "My card: 5555-5555-5555-4444." },
            { type: "image_url", image_url: { url: "https://example.com/a.png" } },
          ],
        },
        { role: "user", content: "Key AKIAIOSFODNN7EXAMPLE, phone (555) 123-4567" },
      ],
    });
    expect(response.status).toBe(200);
    expect(lastSent(upstream).messages).toEqual([
      { role: "system", content: "The operator is [REDACTED:email]." },
      {
        role: "user",
        content: [
          { type: "text", text: "My card: [REDACTED:card]." },
          { type: "image_url", image_url: { url: "https://example.com/a.png" } },
        ],
      },
      { role: "user", content: "Key [REDACTED:api-key], phone [REDACTED:phone]" },
    ]);
    expect(counts.get("redacted/email")).toBe(1);
    expect(counts.get("redacted/card")).toBe(1);
  });

  it("redacts legacy prompts and embedding inputs", async () => {
    const { gateway, upstream } = await setup({ on: ["request"] });
    await exchange(
      gateway,
      { model: "mock-1", prompt: ["mail me: a@b.io", "ok"] },
      { path: "/v1/completions" },
    );
    expect(lastSent(upstream).prompt).toEqual(["mail me: [REDACTED:email]", "ok"]);
    await exchange(gateway, { model: "mock-1", input: "card 4111111111111111" }, { path: "/v1/embeddings" });
    expect(lastSent(upstream).input).toBe("card [REDACTED:card]");
  });

  it("sends the redacted text on every attempt", async () => {
    const { gateway, upstream } = await setup({ on: ["request"] });
    upstream.enqueueFault({ kind: "status", status: 500 });
    expect((await exchange(gateway, chat("I am x@y.org"))).status).toBe(200);
    expect(
      upstream.requests.map(
        (request) => (request.body as { messages: Array<{ content: string }> }).messages[0]?.content,
      ),
    ).toEqual(["I am [REDACTED:email]", "I am [REDACTED:email]"]);
  });
});

describe("PII redaction on answers", () => {
  it("redacts a complete answer", async () => {
    const { gateway } = await setup({ on: ["response"] });
    const response = await exchange(gateway, chat());
    expect(response.json().choices[0].message.content).toBe(REDACTED_REPLY);
  });

  it.each([1, 2, 5])(
    "redacts a stream whose patterns are split across chunks (%i token(s) per chunk), leaking no fragment",
    async (chunkTokens) => {
      const { gateway } = await setup({ on: ["response"] }, () => PII_REPLY, chunkTokens);
      const response = await exchange(gateway, chat("q", { stream: true }));
      const { content, events } = streamedText(response.text);
      expect(content).toBe(REDACTED_REPLY);
      expect(events.at(-1)).toBe("[DONE]");
      for (const leak of LEAKS) expect(response.text).not.toContain(leak);
    },
  );

  it("keeps separate hold-backs per choice, releases each at its finish, and keeps the usage chunk", async () => {
    const replies = ["First: a.b@example.org", "Second: 378282246310005 ok"];
    const { gateway } = await setup({ on: ["response"] }, (choice) => replies[choice] ?? "");
    const response = await exchange(
      gateway,
      chat("q", { stream: true, n: 2, stream_options: { include_usage: true } }),
    );
    const chunks = sseData(response.text)
      .filter((event) => event !== "[DONE]")
      .map((event) => JSON.parse(event));
    const texts = ["", ""];
    for (const chunk of chunks) {
      for (const choice of chunk.choices) texts[choice.index] += choice.delta?.content ?? "";
    }
    expect(texts).toEqual(["First: [REDACTED:email]", "Second: [REDACTED:card] ok"]);
    expect(chunks.at(-1).usage.completion_tokens).toBeGreaterThan(0);
  });

  it("redacts legacy completion streams", async () => {
    const { gateway } = await setup({ on: ["response"] }, () => "reach me at joe@mail.example.com today");
    const response = await exchange(
      gateway,
      { model: "mock-1", prompt: "hi", stream: true },
      { path: "/v1/completions" },
    );
    expect(streamedText(response.text).content).toBe("reach me at [REDACTED:email] today");
  });

  it("takes custom detectors and a replacement function", async () => {
    const { gateway } = await setup(
      {
        on: ["response"],
        detectors: ["email", { name: "ticket", pattern: "TKT-\\d{6}", flags: "i", maxLength: 10 }],
        replacement: (match, type) => (type === "email" ? `<${match.split("@")[1]}>` : `<${type}>`),
      },
      () => "see tkt-123456 from pat@example.com",
    );
    const response = await exchange(gateway, chat("q", { stream: true }));
    expect(streamedText(response.text).content).toBe("see <ticket> from <example.com>");
  });

  it("refuses bad options naming the field", () => {
    expect(() => createPiiRedactionPlugin({ detectors: ["ssn" as "email"] })).toThrow(/detectors/);
    expect(() => createPiiRedactionPlugin({ detectors: [{ name: "x", pattern: "(" }] })).toThrow(/pattern/);
    expect(() => createPiiRedactionPlugin({ on: [] })).toThrow(/on/);
  });
});
