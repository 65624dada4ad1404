import { createServer, type Server, type Socket } from "node:net";
import type { LimitAlgorithm, LimitCheck } from "@switchyard/limiter";
import calculateSlot from "cluster-key-slot";
import { Redis, ReplyError } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createRedisStore, type RedisClient, scripts } from "../src/index.js";
import { redisSkipReason, redisUrl, uniquePrefix } from "./redis-server.js";

const perMinute: LimitAlgorithm = { kind: "fixed-window", limit: 10, windowMs: 60_000, burst: 10 };
const check = (name: string, subject: string, algorithm: LimitAlgorithm = perMinute): LimitCheck => ({
  name,
  subject,
  algorithm,
  cost: 1,
});

/**
 * Records the script commands a client sends, and the keys of each. `missingOnce` makes the first EVALSHA
 * of each SHA fail with NOSCRIPT, as a server (or cluster node) that never saw the script answers.
 */
function spyOn(client: Redis, options: { missingOnce?: boolean } = {}) {
  const calls: Array<{ command: "evalsha" | "eval"; keys: string[] }> = [];
  const seen = new Set<string>();
  const record =
    (command: "evalsha" | "eval") =>
    async (script: string, numKeys: number, ...args: Array<string | number>) => {
      calls.push({ command, keys: args.slice(0, numKeys).map(String) });
      if (command === "eval") return client.eval(script, numKeys, ...args);
      if (options.missingOnce && !seen.has(script)) {
        seen.add(script);
        throw new ReplyError("NOSCRIPT No matching script. Please use EVAL.");
      }
      return client.evalsha(script, numKeys, ...args);
    };
  const spy = new Proxy(client, {
    get(target, property, receiver) {
      if (property === "evalsha" || property === "eval") return record(property);
      return Reflect.get(target, property, receiver);
    },
  });
  return { spy: spy as RedisClient, calls };
}

describe.skipIf(redisSkipReason !== undefined)("redis store on a real Redis", () => {
  const client = new Redis(redisUrl);
  afterAll(async () => {
    await client.quit();
  });

  it("reads the Redis server's clock (TIME), not the gateway's", async () => {
    const store = createRedisStore({ client, prefix: uniquePrefix("time") });
    const [beforeSeconds, beforeMicros] = await client.time();
    const result = await store.consume([check("time", "s")]);
    const [afterSeconds, afterMicros] = await client.time();
    const before = Number(beforeSeconds) * 1000 + Number(beforeMicros) / 1000;
    const after = Number(afterSeconds) * 1000 + Number(afterMicros) / 1000;
    expect(result.nowMs).toBeGreaterThanOrEqual(before);
    expect(result.nowMs).toBeLessThanOrEqual(after);
  });

  it("runs the scripts by SHA, sending a script's source only to a server that lacks it", async () => {
    const { spy, calls } = spyOn(client, { missingOnce: true });
    const store = createRedisStore({ client: spy, prefix: uniquePrefix("sha") });
    await store.consume([check("sha", "s")]);
    await store.consume([check("sha", "s")]);
    await store.adjust([{ ...check("sha", "s"), delta: -1, reservedAtMs: Date.now() }]);
    await store.adjust([{ ...check("sha", "s"), delta: -1, reservedAtMs: Date.now() }]);
    expect(calls.map((call) => call.command)).toEqual([
      "evalsha", // NOSCRIPT...
      "eval", // ...so the source goes once, and the server caches it
      "evalsha",
      "evalsha",
      "eval",
      "evalsha",
    ]);
    expect(await client.script("EXISTS", scripts.consume.sha, scripts.adjust.sha)).toEqual([1, 1]);
  });

  it("sends only EVALSHA once the server knows the scripts", async () => {
    const warm = createRedisStore({ client, prefix: uniquePrefix("warm") });
    await warm.consume([check("warm", "s")]);
    await warm.adjust([{ ...check("warm", "s"), delta: -1, reservedAtMs: Date.now() }]);
    const { spy, calls } = spyOn(client);
    const store = createRedisStore({ client: spy, prefix: uniquePrefix("warm") });
    for (let index = 0; index < 5; index++) {
      await store.consume([check("warm", "s")]);
      await store.adjust([{ ...check("warm", "s"), delta: -1, reservedAtMs: Date.now() }]);
    }
    expect(calls.map((call) => call.command)).toEqual(new Array(10).fill("evalsha"));
  });

  it("prefix mode: every key of a request is in one slot and all of it is one call", async () => {
    const { spy, calls } = spyOn(client);
    const prefix = uniquePrefix("slots");
    const store = createRedisStore({ client: spy, prefix });
    await store.consume([check("rpm", "principal=a"), check("tpm", "team=t"), check("global", "global")]);
    expect(calls).toHaveLength(1);
    const keys = calls[0]?.keys ?? [];
    expect(keys).toHaveLength(3);
    expect(new Set(keys.map((key) => calculateSlot(key))).size).toBe(1);
    expect(keys.every((key) => key.startsWith(`{${prefix}}`))).toBe(true);
    expect(await client.exists(...keys)).toBe(3);
  });

  it("subject mode: one call per subject, each call's keys in one slot, subjects spread", async () => {
    const { spy, calls } = spyOn(client);
    const store = createRedisStore({ client: spy, prefix: uniquePrefix("subjects"), hashTag: "subject" });
    const result = await store.consume([
      check("rpm", "principal=a"),
      check("tpm", "principal=a"),
      check("team-rpm", "team=t"),
    ]);
    expect(result.allowed).toBe(true);
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(new Set(call.keys.map((key) => calculateSlot(key))).size).toBe(1);
    expect(calls.map((call) => call.keys.length)).toEqual([2, 1]);
  });

  it("keeps state only as long as it matters (PEXPIRE from the window), longer with an injected clock", async () => {
    const prefix = uniquePrefix("ttl");
    await createRedisStore({ client, prefix }).consume([check("ttl", "s")]);
    const [key] = await client.keys(`{${prefix}}*`);
    const ttl = await client.pttl(key as string);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    const injected = uniquePrefix("ttl-injected");
    await createRedisStore({ client, prefix: injected, clock: () => 1_000 }).consume([check("ttl", "s")]);
    const [injectedKey] = await client.keys(`{${injected}}*`);
    expect(await client.pttl(injectedKey as string)).toBeGreaterThan(60_000);
  });

  it("opens and closes its own client when given a URL", async () => {
    const store = createRedisStore({ url: redisUrl, prefix: uniquePrefix("url") });
    expect((await store.consume([check("url", "s")])).allowed).toBe(true);
    await store.close?.();
    expect(store.client.status).toBe("end");
  });
});

describe("redis store failures", () => {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it("reports the store unavailable when Redis does not answer within timeoutMs", async () => {
    // A server that accepts connections and never answers: the worst kind of outage.
    server = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    const store = createRedisStore({ url: `redis://127.0.0.1:${port}`, timeoutMs: 200 });
    const started = performance.now();
    await expect(store.consume([check("down", "s")])).rejects.toMatchObject({
      code: "SWY_ERR_LIMIT_STORE_UNAVAILABLE",
    });
    expect(performance.now() - started).toBeLessThan(5_000);
    await store.close?.();
  });

  it("reports the store unavailable when nothing listens", async () => {
    server = createServer();
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    const store = createRedisStore({ url: `redis://127.0.0.1:${port}`, timeoutMs: 300 });
    await expect(store.consume([check("down", "s")])).rejects.toMatchObject({
      code: "SWY_ERR_LIMIT_STORE_UNAVAILABLE",
    });
    await store.close?.();
  });

  it("validates its options once", () => {
    expect(() => createRedisStore({})).toThrow(/exactly one of `client` and `url`/);
    expect(() => createRedisStore({ url: redisUrl, prefix: "a{b}" })).toThrow(
      /prefix: Must not contain braces/,
    );
    expect(() => createRedisStore({ url: "http://x" })).toThrow(/url/);
  });
});
