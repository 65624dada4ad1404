import { createApiKeyAuthPlugin, type Gateway } from "@switchyard/core";
import { afterEach, describe, expect, it } from "vitest";
import { type CacheStore, createMemoryCacheStore } from "../src/index.js";
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

/** A store that keeps nothing: whatever is shared here is shared by coalescing alone. */
const forgetfulStore: CacheStore = {
  maxEntryBytes: 1024 * 1024,
  get: async () => undefined,
  set: async () => {},
  delete: async () => {},
};

async function stack(options: CacheStackOptions = {}) {
  const started = await startCacheStack({ ...options, cache: { store: forgetfulStore, ...options.cache } });
  stacks.push(started);
  return started;
}

/** Starts a request and returns its response (headers) without reading the body. */
function start(gateway: Gateway, body: unknown, signal: AbortSignal, headers: Record<string, string> = {}) {
  return gateway.handle({
    method: "POST",
    path: "/v1/chat/completions",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    signal,
  });
}

async function text(body: unknown): Promise<string> {
  if (typeof body === "string") return body;
  let out = "";
  for await (const chunk of body as AsyncIterable<Uint8Array>) out += Buffer.from(chunk).toString();
  return out;
}

describe("request coalescing", () => {
  it("collapses 100 identical concurrent requests into 1 upstream call", async () => {
    const { gateway, upstream, cache } = await stack();
    // The leader waits until all 100 have arrived: none comes after it is done.
    arrivals(gateway).hold(100);
    const request = chat();
    const answers = await Promise.all(Array.from({ length: 100 }, () => exchange(gateway, request)));
    expect(upstream.stats.received).toBe(1);
    expect(answers.every((answer) => answer.status === 200 && answer.text === answers[0]?.text)).toBe(true);
    expect(answers.filter((answer) => answer.headers["x-switchyard-coalesced"] === "true")).toHaveLength(99);
    expect(cache.stats().coalesced).toBe(99);
    expect(cache.openFlights).toBe(0);
  });

  it("collapses 100 identical concurrent streams into 1 upstream call, fanning out the same bytes", async () => {
    const { gateway, upstream, cache } = await stack({ upstream: { tokensPerSecond: 400 } });
    arrivals(gateway).hold(100);
    const request = chat({ stream: true, stream_options: { include_usage: true } });
    const answers = await Promise.all(Array.from({ length: 100 }, () => exchange(gateway, request)));
    expect(upstream.stats.received).toBe(1);
    const first = answers[0]?.text ?? "";
    expect(sseData(first).at(-1)).toBe("[DONE]");
    expect(answers.every((answer) => answer.text === first)).toBe(true);
    expect(cache.stats().coalesced).toBe(99);
    await expect.poll(() => gateway.inFlight).toBe(0);
  });

  it("lets a follower join a stream already under way and replays it from the first byte", async () => {
    const { gateway, upstream } = await stack({ upstream: { tokensPerSecond: 50, replyTokens: 12 } });
    const request = chat({ stream: true });
    const leader = await start(gateway, request, new AbortController().signal);
    const iterator = (leader.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    let leaderText = Buffer.from((await iterator.next()).value as Uint8Array).toString();
    // The leader is not read while the follower joins, so it cannot be over before.
    const follower = await start(gateway, request, new AbortController().signal);
    expect(follower.headers["x-switchyard-coalesced"]).toBe("true");
    const followed = text(follower.body);
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      leaderText += Buffer.from(next.value).toString();
    }
    expect(await followed).toBe(leaderText);
    expect(upstream.stats.received).toBe(1);
  });

  it("does not mix principals when the cache is scoped per principal", async () => {
    const keys = [
      { id: "alice", key: "sk-alice" },
      { id: "bob", key: "sk-bob" },
    ];
    const { gateway, upstream } = await stack({ before: [createApiKeyAuthPlugin({ keys })] });
    arrivals(gateway).hold(4);
    const request = chat();
    const answers = await Promise.all(
      ["sk-alice", "sk-bob", "sk-alice", "sk-bob"].map((key) =>
        exchange(gateway, request, { headers: { authorization: `Bearer ${key}` } }),
      ),
    );
    expect(upstream.stats.received).toBe(2);
    expect(answers.filter((answer) => answer.headers["x-switchyard-coalesced"] === "true")).toHaveLength(2);
  });

  it("a follower that leaves does not abort the leader", async () => {
    const { gateway, upstream } = await stack({ upstream: { latencyMs: 300 } });
    arrivals(gateway).hold(2);
    const request = chat();
    const leader = exchange(gateway, request);
    const leaving = new AbortController();
    const follower = exchange(gateway, request, { signal: leaving.signal });
    await expect.poll(() => upstream.stats.received).toBe(1);
    leaving.abort();
    expect((await follower).status).toBe(499);
    const led = await leader;
    expect(led.status).toBe(200);
    expect(upstream.stats.aborted).toBe(0);
  });

  it("followers make their own call when the leader's client leaves before the answer", async () => {
    const { gateway, upstream } = await stack({ upstream: { latencyMs: 300 } });
    // The leader calls upstream only once all six have arrived (so the five are its followers).
    arrivals(gateway).hold(6);
    const request = chat();
    const leaving = new AbortController();
    const leader = exchange(gateway, request, { signal: leaving.signal });
    const followers = Array.from({ length: 5 }, () => exchange(gateway, request));
    await expect.poll(() => upstream.stats.received).toBe(1);
    leaving.abort();
    expect((await leader).status).toBe(499);
    const answers = await Promise.all(followers);
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    // One of them led the second call; the other four shared it.
    expect(upstream.stats.received).toBe(2);
    expect(answers.filter((answer) => answer.headers["x-switchyard-coalesced"] === "true")).toHaveLength(4);
  });

  it("followers get the leader's error when its upstream call failed, without calling again", async () => {
    const { gateway, upstream } = await stack();
    arrivals(gateway).hold(5);
    upstream.enqueueFault({ kind: "status", status: 503 });
    const request = chat();
    const answers = await Promise.all(Array.from({ length: 5 }, () => exchange(gateway, request)));
    expect(upstream.stats.received).toBe(1);
    expect(answers[0]?.status).toBeGreaterThanOrEqual(500);
    expect(
      answers.every((answer) => answer.status === answers[0]?.status && answer.text === answers[0]?.text),
    ).toBe(true);
  });

  it("followers of a stream that breaks get the same bytes, then the same error event", async () => {
    const { gateway, upstream } = await stack();
    arrivals(gateway).hold(3);
    upstream.enqueueFault({ kind: "cut-stream", afterChunks: 4 });
    const request = chat({ stream: true });
    const answers = await Promise.all(Array.from({ length: 3 }, () => exchange(gateway, request)));
    expect(upstream.stats.received).toBe(1);
    const events = sseData(answers[0]?.text ?? "");
    expect(JSON.parse(events.at(-1) ?? "{}").error.code).toBe("upstream_stream_interrupted");
    expect(answers.every((answer) => answer.text === answers[0]?.text)).toBe(true);
  });

  it("followers of a stream whose leader's client leaves get a stream-cut error, not a hang", async () => {
    const { gateway } = await stack({ upstream: { tokensPerSecond: 40, replyTokens: 40 } });
    const request = chat({ stream: true });
    const leaving = new AbortController();
    const leader = await start(gateway, request, leaving.signal);
    const iterator = (leader.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    await iterator.next();
    const follower = start(gateway, request, new AbortController().signal);
    const followerResponse = await follower;
    expect(followerResponse.headers["x-switchyard-coalesced"]).toBe("true");
    const followed = text(followerResponse.body);
    leaving.abort();
    await iterator.return?.();
    const events = sseData(await followed);
    expect(JSON.parse(events.at(-1) ?? "{}").error.code).toBe("upstream_stream_interrupted");
    await expect.poll(() => gateway.inFlight).toBe(0);
  });

  it("shares a stream larger than maxEntryBytes with its followers, and stores none of it", async () => {
    const store = createMemoryCacheStore({ maxEntryBytes: 2_048 });
    const { gateway, upstream, cache } = await stack({
      cache: { store },
      upstream: { replyTokens: 200, tokensPerSecond: 2_000 },
    });
    arrivals(gateway).hold(5);
    const request = chat({ stream: true });
    const answers = await Promise.all(Array.from({ length: 5 }, () => exchange(gateway, request)));
    expect(upstream.stats.received).toBe(1);
    expect(answers[0]?.text.length).toBeGreaterThan(2_048);
    expect(sseData(answers[0]?.text ?? "").at(-1)).toBe("[DONE]");
    expect(answers.every((answer) => answer.text === answers[0]?.text)).toBe(true);
    expect(cache.stats().stored).toBe(0);
    expect(store.size).toBe(0);
  });

  it("can be turned off", async () => {
    const { gateway, upstream } = await stack({ cache: { coalesce: false }, upstream: { latencyMs: 100 } });
    const request = chat();
    await Promise.all(Array.from({ length: 3 }, () => exchange(gateway, request)));
    expect(upstream.stats.received).toBe(3);
  });
});
