import { createMockUpstream, type MockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatCompletionRequest } from "../src/canonical-schemas.js";
import { SwitchyardError } from "../src/errors.js";
import { createGateway, type Gateway } from "../src/gateway.js";
import type { InboundDialect } from "../src/inbound-dialect.js";
import { silentLogger } from "../src/logger.js";
import { exchange } from "./drive.js";

// A toy dialect: `{ ask, model, stream }` in, `{ answer }` or `say:` events out, `{ problem }` on errors.
const toy: InboundDialect = {
  name: "toy",
  routes: { "/toy/ask": "chat" },
  handlers: {
    "/toy/count": async (_request, body) => ({
      status: 200,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ characters: String((body as { ask?: string }).ask ?? "").length }),
    }),
  },
  toCanonical(body) {
    const { ask, model, stream } = body as { ask?: unknown; model?: unknown; stream?: boolean };
    if (typeof ask !== "string" || typeof model !== "string") {
      throw new SwitchyardError("SWY_ERR_REQUEST_INVALID", "ask and model are required", { param: "ask" });
    }
    return {
      model,
      messages: [{ role: "user", content: ask }],
      stream: stream === true,
    } as ChatCompletionRequest;
  },
  isStream: (body) => (body as { stream?: boolean }).stream === true,
  fromCanonical: (response) => ({ answer: response.choices[0]?.message.content }),
  createStreamEncoder() {
    let usage = 0;
    return {
      chunk(chunk) {
        if (chunk.usage) usage = chunk.usage.total_tokens;
        const text = chunk.choices[0]?.delta.content;
        return text ? `event: say\ndata: ${JSON.stringify(text)}\n\n` : undefined;
      },
      end: () => `event: done\ndata: ${usage}\n\n`,
      error: (error) => `event: oops\ndata: ${JSON.stringify(error.message)}\n\n`,
    };
  },
  errorBody: (error) => ({ problem: error.message, status: error.status }),
};

describe("inbound dialects", () => {
  let upstream: MockUpstream;
  let gateway: Gateway;
  const dialectsSeen: string[] = [];
  beforeAll(async () => {
    upstream = await createMockUpstream({ record: false, reply: () => "two words" });
    gateway = createGateway({
      logger: silentLogger,
      dialects: [toy],
      providers: [createOpenAIProvider({ name: "up", baseURL: `${upstream.url}/v1`, models: ["mock-1"] })],
    });
    gateway.hooks.requestCompleted.tap("test", (context) => void dialectsSeen.push(context.dialect));
  });
  afterAll(async () => {
    await gateway.close({ graceMs: 0 });
    await upstream.close();
  });

  it("answers in the client's dialect through the same pipeline", async () => {
    const response = await exchange(gateway, { ask: "hello", model: "mock-1" }, { path: "/toy/ask" });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ answer: "two words" });
    await expect.poll(() => dialectsSeen.at(-1)).toBe("toy");
  });

  it("streams through the dialect's encoder, which always receives the usage chunk", async () => {
    const response = await exchange(
      gateway,
      { ask: "hello", model: "mock-1", stream: true },
      { path: "/toy/ask" },
    );
    const events = response.text.split("\n\n").filter(Boolean);
    expect(events.slice(0, -1).every((event) => event.startsWith("event: say"))).toBe(true);
    expect(events.at(-1)).toMatch(/^event: done\ndata: [1-9]\d*$/);
  });

  it("shapes errors the dialect's way", async () => {
    const unknown = await exchange(gateway, { ask: "hello", model: "nope" }, { path: "/toy/ask" });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text)).toMatchObject({ status: 404, problem: expect.stringContaining("nope") });
    const invalid = await exchange(gateway, { model: "mock-1" }, { path: "/toy/ask" });
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.text)).toMatchObject({ problem: "ask and model are required" });
  });

  it("serves the dialect's own handlers", async () => {
    const response = await exchange(gateway, { ask: "hello" }, { path: "/toy/count" });
    expect(JSON.parse(response.text)).toEqual({ characters: 5 });
  });

  it("refuses a dialect that takes an OpenAI path or a taken name", () => {
    const fresh = createGateway({ logger: silentLogger });
    expect(() =>
      fresh.addDialect({ ...toy, name: "other", routes: { "/v1/chat/completions": "chat" } }),
    ).toThrow(/already served/);
    fresh.addDialect(toy);
    expect(() => fresh.addDialect(toy)).toThrow(/unique name/);
  });
});
