import { createApiKeyAuthPlugin, type RequestContext, type SwitchyardError } from "@switchyard/core";
import { afterEach, describe, expect, it } from "vitest";
import { chatBody, postJson, type Stack, sseData, startStack } from "./helpers.js";

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe("hooks tapped by plugins change the request's path", () => {
  it("authenticates with hashed API keys: none -> 401, wrong -> 401, right -> 200 with the principal", async () => {
    const seen: RequestContext[] = [];
    stack = await startStack({
      gateway: {
        requireAuth: true,
        plugins: [
          createApiKeyAuthPlugin({ keys: [{ id: "team-a-key", team: "a", key: "sk-swy-test-0123456789" }] }),
        ],
      },
      configure: (gateway) =>
        gateway.hooks.requestCompleted.tap("test", (context) => void seen.push(context)),
    });
    const url = `${stack.url}/v1/chat/completions`;
    const none = await postJson(url, chatBody());
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("missing_api_key");
    const wrong = await postJson(url, chatBody(), { authorization: "Bearer sk-swy-test-9999999999" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("invalid_api_key");
    expect(JSON.stringify(wrong.body)).not.toContain("sk-swy-test");
    const right = await postJson(url, chatBody(), { authorization: "Bearer sk-swy-test-0123456789" });
    expect(right.status).toBe(200);
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]?.principal).toMatchObject({ id: "team-a-key", team: "a" });
  });

  it("answers 429 with Retry-After and the tap's headers when rateLimit rejects", async () => {
    stack = await startStack({
      configure: (gateway) =>
        gateway.hooks.rateLimit.tapPromise("test-limit", async () => ({
          message: "Gateway limit 'per-key requests' reached; resets in 1.5 s.",
          retryAfterMs: 1_500,
          headers: { "x-ratelimit-remaining-requests": "0" },
        })),
    });
    const response = await postJson(`${stack.url}/v1/chat/completions`, chatBody());
    expect(response.status).toBe(429);
    expect(response.body.error).toMatchObject({ code: "rate_limit_exceeded", type: "rate_limit_error" });
    expect(response.headers.get("retry-after")).toBe("2");
    expect(response.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(stack.upstream.stats.received).toBe(0);
  });

  it("applies transformRequest before the provider and transformResponse after it", async () => {
    stack = await startStack({
      configure(gateway) {
        gateway.hooks.transformRequest.tap("cap", (request) => ({ ...request, max_tokens: 3 }));
        gateway.hooks.transformResponse.tap("tag", (response) => ({
          ...response,
          system_fingerprint: "tagged",
        }));
      },
    });
    const response = await postJson(`${stack.url}/v1/chat/completions`, chatBody());
    expect(stack.upstream.requests.at(-1)?.body).toMatchObject({ max_tokens: 3 });
    expect(response.body.choices[0].finish_reason).toBe("length");
    expect(response.body.usage.completion_tokens).toBe(3);
    expect(response.body.system_fingerprint).toBe("tagged");
  });

  it("runs transformStreamChunk on every chunk, and still hides the usage chunk nobody asked for", async () => {
    stack = await startStack({
      configure(gateway) {
        gateway.hooks.transformStreamChunk.tap("upper", (chunk) => ({
          ...chunk,
          choices: chunk.choices.map((choice) => ({
            ...choice,
            delta: { ...choice.delta, content: choice.delta.content?.toUpperCase() },
          })),
        }));
      },
    });
    const plain = await postJson(`${stack.url}/v1/chat/completions`, chatBody());
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chatBody({ stream: true })),
    });
    const events = sseData(await response.text());
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event));
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe(plain.body.choices[0].message.content.toUpperCase());
    expect(chunks.every((chunk) => chunk.choices.length > 0)).toBe(true);
  });

  it("gives requestCompleted the usage, the cost from the price table and the timings", async () => {
    const done: RequestContext[] = [];
    stack = await startStack({
      provider: {
        models: [{ id: "mock-1", price: { inputPerMillion: 1_000_000, outputPerMillion: 2_000_000 } }],
      },
      configure: (gateway) =>
        gateway.hooks.requestCompleted.tap("test", (context) => void done.push(context)),
    });
    const response = await postJson(`${stack.url}/v1/chat/completions`, chatBody({ stream: true }));
    expect(response.status).toBe(200);
    await expect.poll(() => done.length).toBe(1);
    const context = done[0] as RequestContext;
    const usage = context.usage;
    expect(usage?.prompt_tokens).toBeGreaterThan(0);
    expect(context.cost).toBeCloseTo((usage?.prompt_tokens ?? 0) * 1 + (usage?.completion_tokens ?? 0) * 2);
    expect(context.timings.firstByteMs).toBeGreaterThan(0);
    expect(context.timings.endMs).toBeGreaterThanOrEqual(context.timings.firstByteMs ?? 0);
    expect(context.attempts).toHaveLength(1);
  });

  it("reports a failed request to requestFailed with the error the client got", async () => {
    const failures: SwitchyardError[] = [];
    stack = await startStack({
      gateway: { retry: false },
      configure: (gateway) =>
        gateway.hooks.requestFailed.tap("test", (_context, error) => void failures.push(error)),
    });
    stack.upstream.enqueueFault({ kind: "status", status: 500 });
    const response = await postJson(`${stack.url}/v1/chat/completions`, chatBody());
    expect(response.status).toBe(502);
    await expect.poll(() => failures.length).toBe(1);
    expect(failures[0]?.code).toBe("SWY_ERR_UPSTREAM_SERVER");
  });

  it("refuses taps after start", async () => {
    stack = await startStack();
    expect(() => stack?.gateway.hooks.authenticate.tap("late", () => undefined)).toThrow(
      /after the gateway started/,
    );
  });

  it("turns a tap that throws an unknown error into a 500 that leaks nothing", async () => {
    stack = await startStack({
      configure: (gateway) =>
        gateway.hooks.authenticate.tapPromise("broken", async () => {
          throw new Error("db password=hunter2 rejected");
        }),
    });
    const response = await postJson(`${stack.url}/v1/chat/completions`, chatBody());
    expect(response.status).toBe(500);
    expect(response.body.error.code).toBe("internal_error");
    expect(JSON.stringify(response.body)).not.toContain("hunter2");
  });
});
