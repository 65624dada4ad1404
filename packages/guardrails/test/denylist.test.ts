import { describe, expect, it } from "vitest";
import { createDenylistPlugin, type DenylistOptions } from "../src/index.js";
import { chat, countingMeter, exchange, lastSent, sseData, startHarness, streamedText } from "./helpers.js";

async function setup(options: DenylistOptions, reply = "Nothing to see here.", chunkTokens = 1) {
  const { meter, counts } = countingMeter();
  const harness = await startHarness([createDenylistPlugin({ meter, ...options })], {
    upstream: { reply: () => reply, chunkTokens },
  });
  return { ...harness, counts };
}

describe("denylist on requests", () => {
  it.each<[string, DenylistOptions["patterns"][number], string]>([
    ["a literal, any case", "project falcon", "Tell me about PROJECT Falcon."],
    ["a RegExp", /\bdrop\s+table\b/i, "please DROP  TABLE users"],
    ["a regex source (config)", { regex: "\\bssn:\\s*\\d{3}", flags: "i" }, "my SSN: 123-45-6789"],
  ])(
    "rejects %s with 400, without calling the upstream or echoing the match",
    async (_label, pattern, content) => {
      const { gateway, upstream, counts } = await setup({ patterns: [pattern] });
      const response = await exchange(gateway, chat(content));
      expect(response.status).toBe(400);
      expect(response.json().error).toMatchObject({
        code: "content_policy_violation",
        message: "The request was refused by the gateway's content policy.",
      });
      expect(upstream.stats.received).toBe(0);
      expect(counts.get("denied")).toBe(1);
    },
  );

  it("lets other requests through untouched", async () => {
    const { gateway, upstream } = await setup({ patterns: ["falcon"] });
    expect((await exchange(gateway, chat("a hawk"))).status).toBe(200);
    expect(lastSent(upstream).messages).toEqual([{ role: "user", content: "a hawk" }]);
  });

  it("redacts instead when asked, with the configured replacement", async () => {
    const { gateway, upstream } = await setup({
      patterns: ["falcon", /\b\d{3}-\d{2}-\d{4}\b/],
      action: "redact",
      replacement: "▇",
    });
    expect((await exchange(gateway, chat("Falcon id 123-45-6789"))).status).toBe(200);
    expect(lastSent(upstream).messages[0].content).toBe("▇ id ▇");
  });
});

describe("denylist on answers", () => {
  const REPLY = "The codename of the mission is Falcon and it starts at dawn.";

  it("withholds a complete answer with 400; the upstream is not asked again", async () => {
    const { gateway, upstream } = await setup({ patterns: ["falcon"], on: ["response"] }, REPLY);
    const response = await exchange(gateway, chat());
    expect(response.status).toBe(400);
    expect(response.json().error.message).toBe("The answer was withheld by the gateway's content policy.");
    expect(upstream.stats.received).toBe(1);
  });

  it("ends a stream with an error event before any part of the match is sent", async () => {
    const { gateway } = await setup(
      { patterns: ["falcon"], on: ["response"], message: "Classified." },
      REPLY,
    );
    const response = await exchange(gateway, chat("q", { stream: true }));
    expect(response.status).toBe(200);
    const events = sseData(response.text);
    const last = JSON.parse(events.at(-1) as string);
    expect(last.error).toMatchObject({ code: "content_policy_violation", message: "Classified." });
    const { content } = streamedText(response.text.replace(/data: \{"error".*\n\n/, ""));
    expect(REPLY.startsWith(content)).toBe(true);
    expect(content).toContain("mission is");
    expect(response.text.toLowerCase()).not.toContain("fal");
  });

  it("refuses a stream whose first text chunk matches", async () => {
    const { gateway } = await setup({ patterns: ["codename"], on: ["response"] }, REPLY, 1_000);
    const response = await exchange(gateway, chat("q", { stream: true }));
    expect(response.text).toContain("content_policy_violation");
    expect(response.text).not.toContain("codename");
  });

  it("redacts a stream when asked, matches split across chunks included", async () => {
    const { gateway } = await setup(
      { patterns: ["mission is falcon", /\bdawn\b/], on: ["response"], action: "redact" },
      REPLY,
    );
    const response = await exchange(gateway, chat("q", { stream: true }));
    expect(streamedText(response.text).content).toBe(
      "The codename of the [REDACTED] and it starts at [REDACTED].",
    );
  });

  it("refuses bad options naming the field", () => {
    expect(() => createDenylistPlugin({ patterns: [] })).toThrow(/patterns/);
    expect(() => createDenylistPlugin({ patterns: [{ regex: "(" }] })).toThrow(/patterns\.0\.regex/);
    expect(() => createDenylistPlugin({ patterns: ["x"], action: "block" as "reject" })).toThrow(/action/);
  });
});
