import { createApiKeyAuthPlugin, type RequestContext } from "@switchyard/core";
import { createRateLimitPlugin } from "@switchyard/limiter";
import { afterEach, describe, expect, it } from "vitest";
import { cacheOutcome, createMemoryCacheStore, isCacheHit } from "../src/index.js";
import {
  arrivals,
  type CacheStack,
  type CacheStackOptions,
  chat,
  exchange,
  sseData,
  startCacheStack,
} from "./helpers.js";

const stacks: CacheStack[] = [];
afterEach(async () => {
  for (const stack of stacks.splice(0)) await stack.close();
});

async function stack(options: CacheStackOptions = {}) {
  const started = await startCacheStack(options);
  stacks.push(started);
  return started;
}

/** Collects every finished request's context. */
function finished(stackUnderTest: CacheStack) {
  const contexts: RequestContext[] = [];
  stackUnderTest.gateway.hooks.requestCompleted.tap(
    "test-finished",
    (context) => void contexts.push(context),
  );
  return contexts;
}

describe("exact-match cache: hits and misses", () => {
  it("answers the second identical request from the cache with the same bytes, without the upstream", async () => {
    const { gateway, upstream, cache } = await stack();
    const contexts = finished({ gateway } as CacheStack);
    const request = chat();
    const first = await exchange(gateway, request);
    const second = await exchange(gateway, JSON.parse(JSON.stringify(request)));
    expect(first.status).toBe(200);
    expect(first.headers["x-switchyard-cache"]).toBe("miss");
    expect(second.headers["x-switchyard-cache"]).toBe("hit");
    expect(second.headers.age).toBe("0");
    expect(second.headers["content-type"]).toBe("application/json");
    expect(second.text).toBe(first.text);
    expect(upstream.stats.received).toBe(1);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, stored: 1 });
    await expect.poll(() => contexts.length).toBe(2);
    const [miss, hit] = contexts as [RequestContext, RequestContext];
    expect(isCacheHit(miss)).toBe(false);
    expect(isCacheHit(hit)).toBe(true);
    // The answer's own usage is kept on the outcome; the hit itself spent no upstream tokens.
    expect(cacheOutcome(hit)?.usage).toEqual(JSON.parse(first.text).usage);
    expect(hit.usage?.total_tokens).toBe(0);
    expect(hit.cost).toBe(0);
    expect(cache.stats().savedInputTokens).toBe(JSON.parse(first.text).usage.prompt_tokens);
    expect(cache.stats().cachedCostSaved).toBeGreaterThan(0);
  });

  it("keys on the canonical request: field order does not matter, the prompt and parameters do", async () => {
    const { gateway, upstream } = await stack();
    const request = chat({ temperature: 0 });
    await exchange(gateway, request);
    const reordered = { temperature: 0, messages: request.messages, model: "mock-1" };
    expect((await exchange(gateway, reordered)).headers["x-switchyard-cache"]).toBe("hit");
    expect((await exchange(gateway, { ...request, temperature: 0.7 })).headers["x-switchyard-cache"]).toBe(
      "miss",
    );
    expect((await exchange(gateway, { ...request, model: "mock-2" })).headers["x-switchyard-cache"]).toBe(
      "miss",
    );
    expect(upstream.stats.received).toBe(3);
  });

  it("replays a cached stream as the exact SSE bytes, ending in [DONE]", async () => {
    const { gateway, upstream } = await stack();
    const request = chat({ stream: true });
    const first = await exchange(gateway, request);
    const second = await exchange(gateway, request);
    expect(second.headers["x-switchyard-cache"]).toBe("hit");
    expect(second.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(second.text).toBe(first.text);
    expect(sseData(second.text).at(-1)).toBe("[DONE]");
    expect(upstream.stats.received).toBe(1);
    expect(gateway.inFlight).toBe(0);
  });

  it("keeps streamed and complete answers, and streams with and without usage, apart", async () => {
    const { gateway, upstream } = await stack();
    const prompt = "Keep these apart";
    const plain = await exchange(gateway, chat({ stream: true }, prompt));
    const withUsage = await exchange(
      gateway,
      chat({ stream: true, stream_options: { include_usage: true } }, prompt),
    );
    const complete = await exchange(gateway, chat({}, prompt));
    expect([plain, withUsage, complete].map((answer) => answer.headers["x-switchyard-cache"])).toEqual([
      "miss",
      "miss",
      "miss",
    ]);
    const plainHit = await exchange(gateway, chat({ stream: true }, prompt));
    const usageHit = await exchange(
      gateway,
      chat({ stream: true, stream_options: { include_usage: true } }, prompt),
    );
    expect(plainHit.text).toBe(plain.text);
    expect(usageHit.text).toBe(withUsage.text);
    const usageChunks = (text: string) =>
      sseData(text).filter((data) => data !== "[DONE]" && JSON.parse(data).usage).length;
    expect(usageChunks(plainHit.text)).toBe(0);
    expect(usageChunks(usageHit.text)).toBe(1);
    expect(upstream.stats.received).toBe(3);
  });

  it("caches embeddings and legacy completions too", async () => {
    const { gateway, upstream } = await stack();
    const embedding = { model: "embed-1", input: ["a", "b"] };
    const completion = { model: "mock-1", prompt: "Say hi", max_tokens: 5 };
    for (let round = 0; round < 2; round++) {
      const embedded = await exchange(gateway, embedding, { path: "/v1/embeddings" });
      const completed = await exchange(gateway, completion, { path: "/v1/completions" });
      expect(embedded.status).toBe(200);
      expect(completed.status).toBe(200);
      expect(embedded.headers["x-switchyard-cache"]).toBe(round === 0 ? "miss" : "hit");
      expect(completed.headers["x-switchyard-cache"]).toBe(round === 0 ? "miss" : "hit");
    }
    expect(upstream.stats.received).toBe(2);
  });
});

describe("answers another respond tap made up", () => {
  it("stores (and shares) a stream a later respond tap answered, once it ended well", async () => {
    const { gateway, upstream, cache } = await stack();
    let made = 0;
    const gate = arrivals(gateway);
    // A canned streaming responder after the cache: what the cache stores is what it wrote. It answers
    // once all three requests have arrived, so the other two follow it.
    gateway.hooks.respond.tapPromise({ name: "test-canned", stage: 50 }, async (context) => {
      if (!context.stream) return undefined;
      made++;
      await gate.until(3);
      context.usage = { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 };
      async function* events() {
        yield Buffer.from('data: {"canned":1}\n\n');
        await new Promise((resolve) => setTimeout(resolve, 20));
        yield Buffer.from("data: [DONE]\n\n");
      }
      return { status: 200, headers: { "content-type": "text/event-stream" }, body: events() };
    });
    const request = chat({ stream: true });
    const answers = await Promise.all([1, 2, 3].map(() => exchange(gateway, request)));
    expect(answers.every((answer) => answer.text === 'data: {"canned":1}\n\ndata: [DONE]\n\n')).toBe(true);
    const again = await exchange(gateway, request);
    expect(again.headers["x-switchyard-cache"]).toBe("hit");
    expect(again.text).toBe(answers[0]?.text);
    expect(made).toBe(1);
    expect(cache.stats()).toMatchObject({ coalesced: 2, stored: 1 });
    expect(upstream.stats.received).toBe(0);
  });
});

describe("what is stored: only successful, complete answers", () => {
  it("does not store an error answer", async () => {
    const { gateway, upstream, cache } = await stack();
    upstream.enqueueFault({ kind: "status", status: 500 });
    const request = chat();
    expect((await exchange(gateway, request)).status).toBe(502);
    const retried = await exchange(gateway, request);
    expect(retried.status).toBe(200);
    expect(retried.headers["x-switchyard-cache"]).toBe("miss");
    expect(cache.stats().stored).toBe(1);
  });

  it("does not store a stream cut in the middle", async () => {
    const { gateway, upstream, cache } = await stack();
    upstream.enqueueFault({ kind: "cut-stream", afterChunks: 3 });
    const request = chat({ stream: true });
    const cut = await exchange(gateway, request);
    expect(sseData(cut.text).at(-1)).not.toBe("[DONE]");
    const again = await exchange(gateway, request);
    expect(again.headers["x-switchyard-cache"]).toBe("miss");
    expect(sseData(again.text).at(-1)).toBe("[DONE]");
    expect(upstream.stats.received).toBe(2);
    expect(cache.stats().stored).toBe(1);
  });

  it("does not store a stream its client left half-way", async () => {
    const { gateway, upstream, cache } = await stack({ upstream: { tokensPerSecond: 200, replyTokens: 40 } });
    const request = chat({ stream: true });
    const controller = new AbortController();
    const response = await gateway.handle({
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
      signal: controller.signal,
    });
    const iterator = (response.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort();
    await iterator.return?.();
    await expect.poll(() => gateway.inFlight).toBe(0);
    const again = await exchange(gateway, request);
    expect(again.headers["x-switchyard-cache"]).toBe("miss");
    expect(upstream.stats.received).toBe(2);
    expect(cache.stats().stored).toBe(1);
  });
});

describe("clients steer the cache with Cache-Control", () => {
  it("no-store: neither answered from nor written to the cache", async () => {
    const { gateway, upstream } = await stack();
    const request = chat();
    const first = await exchange(gateway, request, { headers: { "cache-control": "no-store" } });
    expect(first.headers["x-switchyard-cache"]).toBe("bypass");
    expect((await exchange(gateway, request)).headers["x-switchyard-cache"]).toBe("miss");
    expect(
      (await exchange(gateway, request, { headers: { "cache-control": "no-store" } })).headers[
        "x-switchyard-cache"
      ],
    ).toBe("bypass");
    expect(upstream.stats.received).toBe(3);
  });

  it("no-cache: skips the lookup and refreshes the entry with the fresh answer", async () => {
    let reply = "first answer";
    const { gateway, upstream } = await stack({ upstream: { reply: () => reply } });
    const request = chat();
    await exchange(gateway, request);
    reply = "second answer";
    const refreshed = await exchange(gateway, request, { headers: { "cache-control": "no-cache" } });
    expect(refreshed.headers["x-switchyard-cache"]).toBe("bypass");
    expect(JSON.parse(refreshed.text).choices[0].message.content).toBe("second answer");
    const hit = await exchange(gateway, request);
    expect(hit.headers["x-switchyard-cache"]).toBe("hit");
    expect(JSON.parse(hit.text).choices[0].message.content).toBe("second answer");
    expect(upstream.stats.received).toBe(2);
  });

  it("max-age: an older entry is not served", async () => {
    let now = 1_000_000;
    const clock = () => now;
    const { gateway } = await stack({ cache: { now: clock, store: createMemoryCacheStore({ now: clock }) } });
    const request = chat();
    await exchange(gateway, request);
    now += 30_000;
    const fresh = await exchange(gateway, request, { headers: { "cache-control": "max-age=60" } });
    expect(fresh.headers["x-switchyard-cache"]).toBe("hit");
    expect(fresh.headers.age).toBe("30");
    const stale = await exchange(gateway, request, { headers: { "cache-control": "max-age=10" } });
    expect(stale.headers["x-switchyard-cache"]).toBe("miss");
  });
});

describe("expiry, routes and scope", () => {
  it("expires entries after the TTL, per route", async () => {
    let now = 1_000_000;
    const clock = () => now;
    const { gateway, upstream } = await stack({
      cache: {
        now: clock,
        store: createMemoryCacheStore({ now: clock }),
        ttlMs: 60_000,
        routes: { "mock-2": { ttlMs: 5_000 }, "mock-1": { enabled: true } },
      },
    });
    const long = chat();
    const short = { ...chat(), model: "mock-2" };
    await exchange(gateway, long);
    await exchange(gateway, short);
    now += 4_999;
    expect((await exchange(gateway, short)).headers["x-switchyard-cache"]).toBe("hit");
    now += 1;
    expect((await exchange(gateway, short)).headers["x-switchyard-cache"]).toBe("miss");
    expect((await exchange(gateway, long)).headers["x-switchyard-cache"]).toBe("hit");
    now += 60_000;
    expect((await exchange(gateway, long)).headers["x-switchyard-cache"]).toBe("miss");
    expect(upstream.stats.received).toBe(4);
  });

  it("bypasses routes it is turned off for", async () => {
    const { gateway, upstream } = await stack({ cache: { routes: { "mock-2": { enabled: false } } } });
    const request = { ...chat(), model: "mock-2" };
    await exchange(gateway, request);
    expect((await exchange(gateway, request)).headers["x-switchyard-cache"]).toBe("bypass");
    expect(upstream.stats.received).toBe(2);
  });

  const keys = [
    { id: "alice", team: "ops", key: "sk-alice" },
    { id: "bob", team: "ops", key: "sk-bob" },
  ];
  const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

  it("scope principal (the default): one caller's answers are not served to another", async () => {
    const { gateway, upstream } = await stack({ before: [createApiKeyAuthPlugin({ keys })] });
    const request = chat();
    await exchange(gateway, request, as("sk-alice"));
    expect((await exchange(gateway, request, as("sk-bob"))).headers["x-switchyard-cache"]).toBe("miss");
    expect((await exchange(gateway, request, as("sk-alice"))).headers["x-switchyard-cache"]).toBe("hit");
    expect(upstream.stats.received).toBe(2);
  });

  it("scope team and shared: served across principals", async () => {
    for (const scope of ["team", "shared"] as const) {
      const { gateway, upstream } = await stack({
        cache: { scope },
        before: [createApiKeyAuthPlugin({ keys })],
      });
      const request = chat();
      await exchange(gateway, request, as("sk-alice"));
      expect((await exchange(gateway, request, as("sk-bob"))).headers["x-switchyard-cache"]).toBe("hit");
      expect(upstream.stats.received).toBe(1);
    }
  });
});

describe("memory bound", () => {
  it("holds its byte budget under a flood of large distinct answers", async () => {
    const store = createMemoryCacheStore({ maxBytes: 256 * 1024, maxEntryBytes: 64 * 1024 });
    // 30-50 KB answers, each different (prompts are 10-11 characters).
    const { gateway, cache } = await stack({
      cache: { store, coalesce: false },
      upstream: { reply: (request) => `${request.prompt}`.repeat(3_000 + (request.prompt.length % 7) * 300) },
    });
    let peak = 0;
    const floods = Array.from({ length: 5 }, (_, wave) =>
      Array.from({ length: 10 }, (_, index) => chat({ max_tokens: 100_000 }, `flood ${wave}-${index} `)),
    );
    for (const wave of floods) {
      await Promise.all(wave.map((request) => exchange(gateway, request)));
      peak = Math.max(peak, store.bytes);
    }
    expect(cache.stats().stored).toBe(50);
    expect(peak).toBeLessThanOrEqual(256 * 1024);
    // No more than the budget holds of 30 KB answers.
    expect(store.size).toBeGreaterThan(0);
    expect(store.size).toBeLessThanOrEqual(8);
    // The latest answers are still there.
    const last = floods.at(-1)?.at(-1);
    expect((await exchange(gateway, last)).headers["x-switchyard-cache"]).toBe("hit");
  });
});

describe("usage and the rate limiter", () => {
  const limits = [
    {
      name: "tokens",
      unit: "tokens" as const,
      limit: 1_000_000,
      per: "day" as const,
      algorithm: "fixed-window" as const,
    },
  ];
  const remaining = (answer: { headers: Readonly<Record<string, string>> }) =>
    Number(answer.headers["x-ratelimit-remaining-tokens"]);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

  it("does not charge a hit to the token budget by default", async () => {
    const { gateway } = await stack({ before: [createRateLimitPlugin({ limits, tokenizer: "estimate" })] });
    const request = chat();
    await exchange(gateway, request);
    await settle();
    const hit1 = await exchange(gateway, request);
    await settle();
    const hit2 = await exchange(gateway, request);
    expect(hit1.headers["x-switchyard-cache"]).toBe("hit");
    // hit1's reservation went back whole: the budget is where it was before it.
    expect(remaining(hit2)).toBe(remaining(hit1));
  });

  it("charges a hit its cached usage with chargeHits", async () => {
    const { gateway } = await stack({
      cache: { chargeHits: true },
      before: [createRateLimitPlugin({ limits, tokenizer: "estimate" })],
    });
    const request = chat();
    const miss = await exchange(gateway, request);
    await settle();
    const hit1 = await exchange(gateway, request);
    await settle();
    const hit2 = await exchange(gateway, request);
    expect(remaining(hit1) - remaining(hit2)).toBe(JSON.parse(miss.text).usage.total_tokens);
  });
});
