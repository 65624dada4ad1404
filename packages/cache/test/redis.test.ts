import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CacheEntry } from "../src/index.js";
import { createRedisCacheStore, type RedisCacheStore } from "../src/redis-store.js";
import { chat, exchange, sseData, startCacheStack } from "./helpers.js";
import { redisSkipReason, redisUrl, uniquePrefix } from "./redis-server.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const gatewayScript = fileURLToPath(new URL("./fixtures/gateway-process.mjs", import.meta.url));

const entry = (text: string): CacheEntry => ({
  body: Buffer.from(text),
  contentType: "text/event-stream; charset=utf-8",
  usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 },
  cost: 0.25,
  storedAt: 123,
});

describe.skipIf(redisSkipReason !== undefined)("Redis cache store", () => {
  let store: RedisCacheStore;
  beforeAll(() => {
    store = createRedisCacheStore({ url: redisUrl, prefix: uniquePrefix("cache"), maxEntryBytes: 10_000 });
  });
  afterAll(() => store.close());

  it("stores the exact bytes and metadata, under its prefix, with a TTL", async () => {
    const text = 'data: {"x":"é"}\n\ndata: [DONE]\n\n';
    await store.set("k1", entry(text), 60_000);
    const got = await store.get("k1");
    expect(Buffer.from(got?.body ?? []).toString()).toBe(text);
    expect(got).toMatchObject({ usage: { total_tokens: 5 }, cost: 0.25, storedAt: 123 });
    const ttl = await store.client.pttl(`${store.prefix}k1`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await store.delete("k1");
    expect(await store.get("k1")).toBeUndefined();
  });

  it("lets entries expire", async () => {
    await store.set("short", entry("x"), 50);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await store.get("short")).toBeUndefined();
  });

  it("does not store entries over maxEntryBytes", async () => {
    await store.set("big", entry("y".repeat(20_000)), 60_000);
    expect(await store.get("big")).toBeUndefined();
  });

  it("backs the cache plugin: a miss is stored, the next request hits", async () => {
    const stack = await startCacheStack({
      cache: { store: createRedisCacheStore({ url: redisUrl, prefix: uniquePrefix("plugin") }) },
    });
    try {
      const request = chat({ stream: true });
      const first = await exchange(stack.gateway, request);
      await expect.poll(() => stack.cache.stats().stored).toBe(1);
      const second = await exchange(stack.gateway, request);
      expect(second.headers["x-switchyard-cache"]).toBe("hit");
      expect(second.text).toBe(first.text);
    } finally {
      await stack.close();
      await stack.cache.store.close?.();
    }
  });
});

describe("a Redis store that is down", () => {
  it("turns lookups into misses and skipped writes, and counts them", async () => {
    // Nothing listens on port 1: every call fails fast.
    const store = createRedisCacheStore({ url: "redis://127.0.0.1:1", timeoutMs: 200 });
    const stack = await startCacheStack({ cache: { store } });
    try {
      const request = chat();
      expect((await exchange(stack.gateway, request)).status).toBe(200);
      const second = await exchange(stack.gateway, request);
      expect(second.status).toBe(200);
      expect(second.headers["x-switchyard-cache"]).toBe("miss");
      await expect.poll(() => stack.cache.stats().storeErrors).toBeGreaterThanOrEqual(3);
    } finally {
      await stack.close();
      await store.close();
    }
  });
});

function startReplica(prefix: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [gatewayScript], {
    cwd: repoRoot,
    env: { ...process.env, REDIS_URL: redisUrl, CACHE_PREFIX: prefix },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  return new Promise((resolve, reject) => {
    let stdout = "";
    child.stdout?.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
      const match = /listening (http:\/\/\S+)/.exec(stdout);
      if (match) resolve({ child, url: match[1] as string });
    });
    child.once("exit", (code) => reject(new Error(`replica exited (${code}) before listening:\n${stderr}`)));
  });
}

describe.skipIf(redisSkipReason !== undefined)("two gateway processes sharing one Redis cache", () => {
  const replicas: Array<{ child: ChildProcess; url: string }> = [];

  beforeAll(async () => {
    // The replicas run the built JavaScript: build what they import (incremental).
    execFileSync("pnpm", ["exec", "tsc", "-b", "packages/cache", "packages/http", "packages/provider-mock"], {
      cwd: repoRoot,
      stdio: "inherit",
      timeout: 240_000,
    });
    const prefix = uniquePrefix("two-process");
    replicas.push(...(await Promise.all([startReplica(prefix), startReplica(prefix)])));
  }, 300_000);

  afterAll(async () => {
    await Promise.all(
      replicas.map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  });

  const post = async (url: string, body: unknown) => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      cache: response.headers.get("x-switchyard-cache"),
      text: await response.text(),
    };
  };

  for (const stream of [false, true]) {
    it(`misses on A, then hits on B with A's exact answer (stream: ${stream})`, async () => {
      const [a, b] = replicas.map((replica) => replica.url) as [string, string];
      const request = chat(stream ? { stream: true } : {});
      const onA = await post(a, request);
      expect(onA.status).toBe(200);
      expect(onA.cache).toBe("miss");
      // A's write went to Redis before A's answer was sent (the write is issued when the request completes).
      const onB = await post(b, request);
      expect(onB.cache).toBe("hit");
      expect(onB.text).toBe(onA.text);
      if (stream) expect(sseData(onB.text).at(-1)).toBe("[DONE]");
    });
  }
});
