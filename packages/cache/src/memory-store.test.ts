import { describe, expect, it } from "vitest";
import { type CacheEntry, decodeEntry, encodeEntry, entrySize } from "./cache-store.js";
import { createMemoryCacheStore } from "./memory-store.js";

const entry = (size: number, fill = 1): CacheEntry => ({
  body: Buffer.alloc(size, fill),
  contentType: "application/json",
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
  cost: 0.001,
  storedAt: 1_000,
});

describe("entry encoding", () => {
  it("round-trips the metadata and the exact bytes", () => {
    const original = { ...entry(0), body: Buffer.from('data: {"a":1}\n\ndata: [DONE]\n\n') };
    const encoded = encodeEntry(original);
    expect(encoded.byteLength).toBe(entrySize(original));
    const decoded = decodeEntry(encoded);
    expect(Buffer.from(decoded?.body ?? []).toString()).toBe(Buffer.from(original.body).toString());
    expect(decoded).toMatchObject({
      contentType: "application/json",
      usage: original.usage,
      cost: 0.001,
      storedAt: 1_000,
    });
  });

  it("rejects bytes it did not write", () => {
    expect(decodeEntry(Buffer.from("not an entry"))).toBeUndefined();
    expect(decodeEntry(Buffer.from([1, 0, 0, 0, 99, 123]))).toBeUndefined();
  });
});

describe("memory cache store", () => {
  it("keeps the byte budget under a flood of large distinct entries, evicting the least recently used", async () => {
    const store = createMemoryCacheStore({ maxBytes: 1_000_000, maxEntryBytes: 100_000 });
    let peak = 0;
    for (let index = 0; index < 2_000; index++) {
      await store.set(`key-${index}`, entry(60_000 + (index % 7) * 5_000, index % 251), 60_000);
      peak = Math.max(peak, store.bytes);
      // The first entry is used all along: it must survive.
      if (index % 3 === 0) expect(await store.get("key-0")).toBeDefined();
    }
    expect(peak).toBeLessThanOrEqual(1_000_000);
    expect(store.size).toBeGreaterThan(5);
    expect(store.size).toBeLessThan(20);
    expect(await store.get("key-1")).toBeUndefined();
    expect(await store.get("key-1999")).toBeDefined();
  });

  it("does not keep entries over maxEntryBytes", async () => {
    const store = createMemoryCacheStore({ maxBytes: 1_000_000, maxEntryBytes: 10_000 });
    await store.set("big", entry(20_000), 60_000);
    expect(await store.get("big")).toBeUndefined();
    expect(store.bytes).toBe(0);
  });

  it("expires entries after their TTL", async () => {
    let now = 0;
    const store = createMemoryCacheStore({ now: () => now });
    await store.set("a", entry(10), 1_000);
    now = 999;
    expect(await store.get("a")).toBeDefined();
    now = 1_000;
    expect(await store.get("a")).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it("replaces an entry under the same key without counting it twice", async () => {
    const store = createMemoryCacheStore();
    await store.set("a", entry(1_000), 60_000);
    const once = store.bytes;
    await store.set("a", entry(1_000, 2), 60_000);
    expect(store.bytes).toBe(once);
    expect((await store.get("a"))?.body[0]).toBe(2);
    await store.delete("a");
    expect(store.bytes).toBe(0);
  });

  it("copies a view into a larger buffer so it does not hold the rest", async () => {
    const store = createMemoryCacheStore();
    const large = Buffer.alloc(100_000, 7);
    await store.set("a", { ...entry(0), body: large.subarray(0, 10) }, 60_000);
    const body = (await store.get("a"))?.body;
    expect(body?.byteLength).toBe(10);
    expect(body?.buffer.byteLength).toBeLessThan(100_000);
  });
});
