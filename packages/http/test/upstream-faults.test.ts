import { once } from "node:events";
import { createServer } from "node:net";
import type { RetryDecision } from "@switchyard/core";
import { createMockUpstream, type MockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import OpenAI from "openai";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { chatBody, postJson, type Stack, sdkChat, sseData, startStack } from "./helpers.js";

let stack: Stack | undefined;
const extra: MockUpstream[] = [];
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  for (const upstream of extra.splice(0)) await upstream.close();
});

function decisions(target: Stack): RetryDecision[] {
  const seen: RetryDecision[] = [];
  target.gateway.events.on("attempt:failed", (_context, _error, decision) => seen.push(decision));
  return seen;
}

describe("upstream faults reach the client as the right outcome", () => {
  it("retries a 429 after the upstream's retry-after-ms and succeeds", async () => {
    stack = await startStack();
    const seen = decisions(stack);
    stack.upstream.enqueueFault({ kind: "status", status: 429, retryAfterMs: 30 });
    const response = await postJson(`${stack.url}/v1/chat/completions`, chatBody());
    expect(response.status).toBe(200);
    expect(seen).toEqual([{ action: "retry", delayMs: 30 }]);
    expect(stack.upstream.stats.received).toBe(2);
  });

  it("gives up after the attempts per target and passes the 429 on with Retry-After", async () => {
    stack = await startStack();
    stack.upstream.enqueueFault({ kind: "status", status: 429, retryAfter: 2 });
    stack.upstream.enqueueFault({ kind: "status", status: 429, retryAfter: 2 });
    const seen = decisions(stack);
    const started = Date.now();
    const response = await postJson(`${stack.url}/v1/chat/completions`, chatBody());
    expect(response.status).toBe(429);
    expect(response.body.error.code).toBe("upstream_rate_limited");
    expect(response.headers.get("retry-after")).toBe("2");
    expect(seen.map((decision) => decision.action)).toEqual(["retry", "fail"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  });

  it("does not wait for a Retry-After longer than the cap: fails over at once", async () => {
    stack = await startStack({ gateway: { retry: { maxRetryAfterMs: 1_000 } } });
    stack.upstream.enqueueFault({ kind: "status", status: 429, retryAfter: 30 });
    const seen = decisions(stack);
    const response = await postJson(`${stack.url}/v1/chat/completions`, chatBody());
    expect(response.status).toBe(429);
    expect(seen).toEqual([{ action: "fail" }]);
  });

  it("retries a 500 and succeeds", async () => {
    stack = await startStack();
    stack.upstream.enqueueFault({ kind: "status", status: 500 });
    const response = await postJson(`${stack.url}/v1/chat/completions`, chatBody());
    expect(response.status).toBe(200);
    expect(stack.upstream.stats.received).toBe(2);
  });

  it("falls back to the next target when the first is overloaded", async () => {
    const backup = await createMockUpstream({ reply: () => "from the backup" });
    extra.push(backup);
    stack = await startStack({
      gateway: {
        providers: [
          createOpenAIProvider({ name: "backup", baseURL: `${backup.url}/v1`, models: ["mock-1"] }),
        ],
      },
      configure(gateway) {
        gateway.hooks.resolveRoute.tap("test-fallback", (plan) => ({
          targets: [...plan.targets, { provider: gateway.providers.get("backup") as never, model: "mock-1" }],
        }));
      },
    });
    stack.upstream.enqueueFault({ kind: "status", status: 529 });
    const response = await postJson(`${stack.url}/v1/chat/completions`, chatBody());
    expect(response.status).toBe(200);
    expect(response.body.choices[0].message.content).toBe("from the backup");
    expect(stack.upstream.stats.received).toBe(1);
  });

  it("maps an upstream 401 to 502 without retrying and without echoing the upstream text", async () => {
    stack = await startStack({ provider: { apiKey: "sk-wrong-key-12345" } });
    const response = await postJson(`${stack.url}/v1/chat/completions`, chatBody());
    expect(response.status).toBe(502);
    expect(response.body.error.code).toBe("upstream_authentication_failed");
    expect(JSON.stringify(response.body)).not.toContain("sk-wrong");
    expect(stack.upstream.stats.received).toBe(1);
  });

  it("passes an upstream 400 on with the provider's message", async () => {
    stack = await startStack();
    stack.upstream.enqueueFault({
      kind: "status",
      status: 400,
      body: {
        error: { message: "max_tokens is too large", type: "invalid_request_error", param: null, code: null },
      },
    });
    const response = await postJson(`${stack.url}/v1/chat/completions`, chatBody());
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain("max_tokens is too large");
    expect(stack.upstream.stats.received).toBe(1);
  });

  it("answers 502 when the upstream refuses connections", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const { port } = closed.address() as { port: number };
    closed.close();
    stack = await startStack({ provider: { baseURL: `http://127.0.0.1:${port}/v1` } });
    const response = await postJson(`${stack.url}/v1/chat/completions`, chatBody());
    expect(response.status).toBe(502);
    expect(response.body.error.code).toBe("upstream_unreachable");
  });

  it("answers 502 when the upstream resets the connection", async () => {
    stack = await startStack({ gateway: { retry: false } });
    stack.upstream.enqueueFault({ kind: "reset" });
    const response = await postJson(`${stack.url}/v1/chat/completions`, chatBody());
    expect(response.status).toBe(502);
    expect(response.body.error.code).toBe("upstream_unreachable");
  });

  it("answers 504 when the upstream sends nothing within the first-byte timeout", async () => {
    stack = await startStack({ gateway: { retry: false, timeouts: { firstByteMs: 150 } } });
    stack.upstream.enqueueFault({ kind: "hang" });
    const response = await postJson(`${stack.url}/v1/chat/completions`, chatBody());
    expect(response.status).toBe(504);
    expect(response.body.error.code).toBe("upstream_first_byte_timeout");
  });

  it("ends a cut stream with an error event, never a fake [DONE]; the SDK raises it", async () => {
    stack = await startStack();
    stack.upstream.enqueueFault({ kind: "cut-stream", afterChunks: 3 });
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chatBody({ stream: true })),
    });
    expect(response.status).toBe(200);
    const events = sseData(await response.text());
    expect(events).not.toContain("[DONE]");
    expect(JSON.parse(events.at(-1) as string)).toMatchObject({
      error: { code: "upstream_stream_interrupted" },
    });

    stack.upstream.enqueueFault({ kind: "cut-stream", afterChunks: 3 });
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "x", maxRetries: 0 });
    const consume = async () => {
      const stream = await client.chat.completions.create({ ...sdkChat, stream: true });
      for await (const _chunk of stream);
    };
    await expect(consume()).rejects.toThrow(/interrupted/);
  });

  it("turns a malformed upstream event into a clean stream error", async () => {
    stack = await startStack();
    stack.upstream.enqueueFault({ kind: "malformed-sse" });
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chatBody({ stream: true })),
    });
    const events = sseData(await response.text());
    for (const event of events.slice(0, -1)) expect(() => JSON.parse(event)).not.toThrow();
    expect(JSON.parse(events.at(-1) as string)).toMatchObject({
      error: { code: "upstream_invalid_response" },
    });
  });

  it("aborts the upstream request when the client disconnects mid-stream", async () => {
    stack = await startStack({ upstream: { tokensPerSecond: 20, replyTokens: 200 } });
    const upstream = stack.upstream;
    const aborted = new Promise<void>((resolve) => upstream.on("abort", () => resolve()));
    const controller = new AbortController();
    const response = await request(`${stack.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chatBody({ stream: true })),
      signal: controller.signal,
    });
    for await (const _chunk of response.body) {
      controller.abort();
      break;
    }
    await aborted;
    expect(stack.upstream.stats.aborted).toBe(1);
    // The gateway counted the request as finished (not leaked).
    await expect.poll(() => stack?.gateway.inFlight).toBe(0);
  });
});
