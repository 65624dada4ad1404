import { HookStage, type RequestContext, type SwitchyardError } from "@switchyard/core";
import { afterEach, describe, expect, it } from "vitest";
import { createTestClock, TEST_CLOCK_START } from "../src/conformance/index.js";
import {
  createMemoryStore,
  createRateLimitPlugin,
  getRateLimitReservation,
  type LimiterStore,
  RATE_LIMIT_METRICS,
} from "../src/index.js";
import { chat, type LimitedStack, recordingMeter, recordingStore, startLimitedStack } from "./stack.js";

let stack: LimitedStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** A memory store on a test clock 15 s into a minute (and into an hour, and a day). */
function clockedStore() {
  const clock = createTestClock(TEST_CLOCK_START + 15_000);
  return { clock, store: createMemoryStore({ clock: clock.now }) };
}

describe("rate-limit plugin: requests", () => {
  it("answers 429 with Retry-After from the limiter's state, naming the limit, with the headers", async () => {
    const { clock, store } = clockedStore();
    stack = await startLimitedStack(
      createRateLimitPlugin({
        store,
        limits: [{ name: "per-key-requests", limit: 2, per: "minute", algorithm: "fixed-window" }],
      }),
    );
    const first = await chat(stack.url, "sk-alice");
    const second = await chat(stack.url, "sk-alice");
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.headers.get("x-ratelimit-limit-requests")).toBe("2");
    expect(first.headers.get("x-ratelimit-remaining-requests")).toBe("1");
    expect(second.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(second.headers.get("x-ratelimit-reset-requests")).toBe("45s");
    expect(first.headers.get("ratelimit-policy")).toBe('"per-key-requests";q=2;w=60');
    expect(first.headers.get("ratelimit")).toBe('"per-key-requests";r=1;t=45');

    const refused = await chat(stack.url, "sk-alice");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("45");
    expect(refused.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(refused.body.error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded" });
    expect(refused.body.error.message).toBe(
      "Rate limit exceeded: the gateway's limit 'per-key-requests' (2 requests per minute, for principal=alice) has no requests left. It resets in 45s; retry after 45s.",
    );
    // Another key has its own counter; the refused request never reached the provider.
    expect((await chat(stack.url, "sk-bob")).status).toBe(200);
    expect(stack.upstream.stats.received).toBe(3);
    clock.advance(45_000);
    expect((await chat(stack.url, "sk-alice")).status).toBe(200);
  });

  it("sends the longest wait when several limits refuse", async () => {
    const { store } = clockedStore();
    stack = await startLimitedStack(
      createRateLimitPlugin({
        store,
        limits: [
          { name: "rpm", limit: 1, per: "minute", algorithm: "fixed-window" },
          { name: "rph", limit: 1, per: "hour", algorithm: "fixed-window", key: "team" },
        ],
      }),
    );
    expect((await chat(stack.url, "sk-alice")).status).toBe(200);
    const refused = await chat(stack.url, "sk-alice");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe(String(3600 - 15));
    expect(refused.body.error.message).toContain("'rph' (1 request per hour, for team=research)");
    expect(refused.body.error.message).toContain("(1 more of the gateway's limits also refused it)");
    // bob has no team: only the per-key limit applies to him.
    expect((await chat(stack.url, "sk-bob")).headers.get("ratelimit-policy")).toBe('"rpm";q=1;w=60');
  });

  it("applies a limit only to the models it names, and counts anonymous callers together", async () => {
    const { store } = clockedStore();
    stack = await startLimitedStack(
      createRateLimitPlugin({
        store,
        limits: [{ name: "mini", limit: 1, per: "minute", models: ["mock-1-mini"] }],
      }),
    );
    const unlimited = await chat(stack.url, undefined);
    expect(unlimited.status).toBe(200);
    expect(unlimited.headers.get("ratelimit")).toBeNull();
    expect((await chat(stack.url, undefined, { model: "mock-1-mini" })).status).toBe(200);
    const refused = await chat(stack.url, undefined, { model: "mock-1-mini" });
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toContain("for principal=anonymous");
  });

  it("gives the request back when a later rateLimit tap refuses it", async () => {
    const { store } = clockedStore();
    stack = await startLimitedStack(
      createRateLimitPlugin({ store, limits: [{ name: "rpm", limit: 3, per: "minute" }] }),
      {
        configure: (gateway) =>
          gateway.hooks.rateLimit.tapPromise({ name: "deny-list", stage: HookStage.LATE }, async (context) =>
            context.headers["x-deny"] === undefined ? undefined : { message: "Denied.", retryAfterMs: 1_000 },
          ),
      },
    );
    expect((await chat(stack.url, "sk-alice", {}, { "x-deny": "1" })).status).toBe(429);
    await new Promise((resolve) => setImmediate(resolve));
    const next = await chat(stack.url, "sk-alice");
    expect(next.headers.get("x-ratelimit-remaining-requests")).toBe("2");
  });
});

describe("rate-limit plugin: tokens", () => {
  it("reserves the estimate up front and settles to the usage the provider reported", async () => {
    const { store } = clockedStore();
    const recording = recordingStore(store);
    stack = await startLimitedStack(
      createRateLimitPlugin({
        store: recording,
        limits: [{ name: "tpm", unit: "tokens", limit: 10_000, per: "minute", algorithm: "fixed-window" }],
      }),
    );
    const first = await chat(stack.url, "sk-alice", { max_tokens: 100 });
    expect(first.status).toBe(200);
    const reserved = 10_000 - Number(first.headers.get("x-ratelimit-remaining-tokens"));
    const used = first.body.usage.total_tokens as number;
    expect(used).toBeLessThan(reserved);
    await expect.poll(() => recording.adjustments.length).toBe(1);
    expect(recording.adjustments[0]?.delta).toBe(used - reserved);
    // The refund is visible: the next reservation starts from what the first really used.
    const second = await chat(stack.url, "sk-alice", { max_tokens: 100 });
    expect(Number(second.headers.get("x-ratelimit-remaining-tokens"))).toBe(10_000 - used - reserved);
  });

  it("checks all limits together: a request refused for tokens takes no request", async () => {
    const { store } = clockedStore();
    stack = await startLimitedStack(
      createRateLimitPlugin({
        store,
        limits: [
          { name: "rpm", limit: 5, per: "minute", algorithm: "fixed-window" },
          { name: "tpm", unit: "tokens", limit: 300, per: "minute", algorithm: "fixed-window" },
        ],
      }),
      { upstream: { replyTokens: 200 } },
    );
    expect((await chat(stack.url, "sk-alice", { max_tokens: 200 })).status).toBe(200);
    const refused = await chat(stack.url, "sk-alice", { max_tokens: 200 });
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toMatch(
      /limit 'tpm' \(300 tokens per minute, for principal=alice\) has \d+ tokens left and this request needs \d+/,
    );
    const small = await chat(stack.url, "sk-alice", { max_tokens: 10 });
    expect(small.status).toBe(200);
    expect(small.headers.get("x-ratelimit-remaining-requests")).toBe("3");
  });

  it("refuses with 413, not 429, a request no limit could ever admit", async () => {
    stack = await startLimitedStack(
      createRateLimitPlugin({ limits: [{ name: "tpm", unit: "tokens", limit: 1_000, per: "minute" }] }),
    );
    const refused = await chat(stack.url, "sk-alice");
    expect(refused.status).toBe(413);
    expect(refused.headers.get("retry-after")).toBeNull();
    expect(refused.body.error.code).toBe("rate_limit_request_too_large");
    expect(refused.body.error.message).toMatch(
      /needs \d+ tokens \(\d+ prompt \+ 4096 completion allowance\)/,
    );
    expect(stack.upstream.stats.received).toBe(0);
  });

  it("charges a stream the client abandoned for the prompt and what was streamed", async () => {
    const recording = recordingStore(createMemoryStore());
    const failed: Array<{ context: RequestContext; error: SwitchyardError }> = [];
    stack = await startLimitedStack(
      createRateLimitPlugin({
        store: recording,
        limits: [{ name: "tpm", unit: "tokens", limit: 100_000, per: "minute" }],
      }),
      {
        upstream: { replyTokens: 400, tokensPerSecond: 200 },
        configure: (gateway) =>
          gateway.hooks.requestFailed.tap("test", (context, error) => void failed.push({ context, error })),
      },
    );
    const controller = new AbortController();
    const response = await fetch(stack.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-alice" },
      body: JSON.stringify({
        model: "mock-1",
        stream: true,
        max_tokens: 400,
        messages: [{ role: "user", content: "Go" }],
      }),
      signal: controller.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let events = 0;
    while (events < 5) {
      const { value } = await reader.read();
      events += new TextDecoder()
        .decode(value)
        .split("\n\n")
        .filter((event) => event.startsWith("data:")).length;
    }
    controller.abort();
    await expect.poll(() => recording.adjustments.length).toBe(1);
    const [{ context, error } = failed[0] as never] = failed;
    expect(error.code).toBe("SWY_ERR_CLIENT_CLOSED");
    expect(context.usage).toBeUndefined();
    const reservation = getRateLimitReservation(context);
    const estimate = reservation?.estimate;
    expect(estimate?.completion).toBe(400);
    expect(context.streamedEvents).toBeGreaterThanOrEqual(5);
    expect(context.streamedEvents).toBeLessThan(400);
    expect(recording.adjustments[0]?.delta).toBe(
      (estimate?.prompt ?? 0) + context.streamedEvents - (estimate?.total ?? 0),
    );
  });

  it("settles a completed stream to its usage, and refunds a request that never reached a provider", async () => {
    const recording = recordingStore(createMemoryStore());
    const ended: RequestContext[] = [];
    stack = await startLimitedStack(
      createRateLimitPlugin({
        store: recording,
        limits: [{ name: "tpm", unit: "tokens", limit: 100_000, per: "minute" }],
      }),
      {
        configure(gateway) {
          gateway.hooks.requestCompleted.tap("test", (context) => void ended.push(context));
          gateway.hooks.requestFailed.tap("test", (context) => void ended.push(context));
        },
      },
    );
    const reservedFor = (context: RequestContext | undefined) =>
      context === undefined ? Number.NaN : (getRateLimitReservation(context)?.checks[0]?.cost ?? Number.NaN);

    const streamed = await chat(stack.url, "sk-alice", { stream: true, max_tokens: 50 });
    expect(streamed.status).toBe(200);
    await expect.poll(() => recording.adjustments.length).toBe(1);
    const usage = ended[0]?.usage;
    // The client did not ask for usage; the gateway did, so the stream is settled to the real count.
    expect(usage?.total_tokens).toBeGreaterThan(0);
    expect(recording.adjustments[0]?.delta).toBe((usage?.total_tokens ?? 0) - reservedFor(ended[0]));

    const missing = await chat(stack.url, "sk-alice", { model: "no-such-model", max_tokens: 50 });
    expect(missing.status).toBe(404);
    await expect.poll(() => recording.adjustments.length).toBe(2);
    expect(reservedFor(ended[1])).toBeGreaterThan(50);
    expect(recording.adjustments[1]?.delta).toBe(-reservedFor(ended[1]));
  });
});

describe("rate-limit plugin: concurrency", () => {
  it("holds a slot while a stream runs and gives it back when it ends", async () => {
    stack = await startLimitedStack(
      createRateLimitPlugin({ limits: [{ name: "in-flight", limit: 1, algorithm: "concurrency" }] }),
      { upstream: { replyTokens: 30, tokensPerSecond: 100 } },
    );
    const streaming = fetch(stack.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-alice" },
      body: JSON.stringify({ model: "mock-1", stream: true, messages: [{ role: "user", content: "Go" }] }),
    });
    const running = await streaming;
    expect(running.status).toBe(200);
    const refused = await chat(stack.url, "sk-alice");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.body.error.message).toContain(
      "'in-flight' (1 request in flight, for principal=alice) has no free slot",
    );
    expect(refused.headers.get("ratelimit-policy")).toBe('"in-flight";q=1;qu="concurrency"');
    await running.text();
    await expect.poll(async () => (await chat(stack?.url as string, "sk-alice")).status).toBe(200);
  });
});

describe("rate-limit plugin: when the store is down", () => {
  const brokenStore: LimiterStore = {
    consume: async () => {
      throw new Error("connect ECONNREFUSED 127.0.0.1:6379");
    },
    adjust: async () => {},
  };

  it("fails open by default: admits, logs once per interval, counts every failure", async () => {
    const meter = recordingMeter();
    stack = await startLimitedStack(
      createRateLimitPlugin({
        store: brokenStore,
        meter,
        limits: [{ name: "rpm", limit: 1, per: "minute" }],
      }),
    );
    expect((await chat(stack.url, "sk-alice")).status).toBe(200);
    expect((await chat(stack.url, "sk-alice")).status).toBe(200);
    const errors = stack.logs.filter((entry) => entry.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toBe("rate-limit store unavailable: failing open (admitting unchecked)");
    expect(errors[0]?.object).toMatchObject({ operation: "consume", failureMode: "open" });
    const storeErrors = meter.counts.filter((count) => count.name === RATE_LIMIT_METRICS.storeErrors);
    expect(storeErrors).toHaveLength(2);
    expect(storeErrors[0]?.attributes).toEqual({
      "switchyard.rate_limit.operation": "consume",
      "switchyard.rate_limit.failure_mode": "open",
    });
  });

  it("fails closed when asked: 503 with Retry-After, the provider never called", async () => {
    stack = await startLimitedStack(
      createRateLimitPlugin({
        store: brokenStore,
        failureMode: "closed",
        limits: [{ name: "rpm", limit: 1, per: "minute" }],
      }),
    );
    const refused = await chat(stack.url, "sk-alice");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.body.error.code).toBe("rate_limit_store_unavailable");
    expect(JSON.stringify(refused.body)).not.toContain("ECONNREFUSED");
    expect(stack.upstream.stats.received).toBe(0);
    expect(stack.logs.some((entry) => entry.message?.includes("failing closed"))).toBe(true);
  });
});

describe("rate-limit plugin options", () => {
  it("are validated once, with the path of what is wrong", () => {
    expect(() => createRateLimitPlugin({ limits: [] })).toThrow(/rate limit options: limits:/);
    expect(() =>
      createRateLimitPlugin({
        limits: [
          { name: "a", limit: 1, per: "minute" },
          { name: "a", limit: 2, per: "hour" },
        ],
      }),
    ).toThrow(/limits\.1\.name: Duplicate name 'a'/);
    expect(() =>
      createRateLimitPlugin({
        limits: [{ name: "a", limit: 1, per: "minute" }],
        failureMode: "sideways" as "open",
      }),
    ).toThrow(/failureMode/);
  });
});
