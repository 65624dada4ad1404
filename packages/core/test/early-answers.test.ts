import { createMockUpstream, type MockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequestContext } from "../src/context.js";
import { createGateway, type Gateway } from "../src/gateway.js";
import { silentLogger } from "../src/logger.js";
import { chat, exchange, sseData } from "./drive.js";

describe("respond and finalizeResponse: answering without an upstream, and seeing every answer", () => {
  let upstream: MockUpstream;
  let gateway: Gateway;
  const completed: RequestContext[] = [];
  const teed: string[] = [];

  beforeAll(async () => {
    upstream = await createMockUpstream({ record: false });
    gateway = createGateway({
      logger: silentLogger,
      providers: [createOpenAIProvider({ name: "up", baseURL: `${upstream.url}/v1`, models: ["mock-1"] })],
    });
    gateway.hooks.respond.tapPromise("test-cache", async (context) => {
      if (context.request.model !== "mock-1" || !("user" in context.request)) return undefined;
      context.usage = { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 };
      if (!context.stream) {
        return { status: 200, headers: { "content-type": "application/json" }, body: '{"cached":true}' };
      }
      async function* replay() {
        yield new TextEncoder().encode('data: {"cached":1}\n\n');
        yield new TextEncoder().encode("data: [DONE]\n\n");
      }
      return { status: 200, headers: { "content-type": "text/event-stream" }, body: replay() };
    });
    gateway.hooks.finalizeResponse.tap("test-tee", (response, context) => {
      const body = response.body;
      if (!context.stream || body === null || typeof body !== "object" || !(Symbol.asyncIterator in body)) {
        return response;
      }
      async function* tee() {
        let text = "";
        for await (const chunk of body as AsyncIterable<Uint8Array>) {
          text += Buffer.from(chunk).toString();
          yield chunk;
        }
        teed.push(text);
      }
      return { ...response, body: tee() };
    });
    gateway.hooks.requestCompleted.tap("test", (context) => void completed.push(context));
  });
  afterAll(async () => {
    await gateway.close({ graceMs: 0 });
    await upstream.close();
  });

  it("answers from respond without calling the upstream, with the request id and usage", async () => {
    const before = upstream.stats.received;
    const response = await exchange(gateway, chat({ user: "u1" }), {
      headers: { "x-request-id": "early-1" },
    });
    expect(response.text).toBe('{"cached":true}');
    expect(response.headers["x-request-id"]).toBe("early-1");
    expect(upstream.stats.received).toBe(before);
    await expect
      .poll(() => completed.find((context) => context.id === "early-1")?.usage?.total_tokens)
      .toBe(3);
  });

  it("finishes an early streamed answer only once it has been read", async () => {
    const response = await exchange(gateway, chat({ user: "u1", stream: true }));
    expect(sseData(response.text)).toEqual(['{"cached":1}', "[DONE]"]);
    expect(gateway.inFlight).toBe(0);
  });

  it("lets finalizeResponse see every byte of an upstream stream", async () => {
    const response = await exchange(gateway, chat({ stream: true }));
    expect(sseData(response.text).at(-1)).toBe("[DONE]");
    expect(teed.at(-1)).toBe(response.text);
    expect(upstream.stats.received).toBeGreaterThan(0);
  });
});
