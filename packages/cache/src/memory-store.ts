import { parseOptions } from "@switchyard/core";
import { z } from "zod";
import { type CacheEntry, type CacheStore, entrySize } from "./cache-store.js";

/** Options of {@link createMemoryCacheStore}. */
export interface MemoryCacheStoreOptions {
  /**
   * Byte budget of all entries together (bodies, metadata and a fixed per-entry overhead). Least recently
   * used entries are evicted to stay within it.
   * @default 67108864 (64 MiB)
   */
  maxBytes?: number;
  /** Largest single entry kept; larger answers are not cached. Capped at `maxBytes`. @default 1048576 (1 MiB) */
  maxEntryBytes?: number;
  /** Clock for expiry, in ms (tests inject one). @default Date.now */
  now?: () => number;
}

/** The memory store, with its live size. */
export interface MemoryCacheStore extends CacheStore {
  /** Bytes accounted to the entries held now; never above `maxBytes`. */
  readonly bytes: number;
  /** Entries held now (expired ones included until looked up or evicted). */
  readonly size: number;
  readonly maxBytes: number;
  /** Drops every entry. */
  clear(): void;
}

/** What one entry costs beyond its bytes: the Map slot, the record and the key. An estimate, on purpose high. */
const ENTRY_OVERHEAD_BYTES = 160;

const optionsSchema = z
  .object({
    maxBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024),
    maxEntryBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    now: z.custom<() => number>((value) => typeof value === "function", "Expected a function").optional(),
  })
  .strict();

interface Slot {
  readonly entry: CacheEntry;
  readonly expiresAt: number;
  readonly bytes: number;
}

/**
 * The embedded default store: an LRU in this process's memory with a byte budget. A `Map` keeps the order
 * of use (a hit moves its entry to the end); writes evict from the front until the new entry fits.
 * Expired entries are dropped when looked up, or evicted like any other.
 */
export function createMemoryCacheStore(options: MemoryCacheStoreOptions = {}): MemoryCacheStore {
  const settings = parseOptions(optionsSchema, options, "memory cache store");
  const maxBytes = settings.maxBytes;
  const maxEntryBytes = Math.min(settings.maxEntryBytes, maxBytes);
  const now = settings.now ?? Date.now;
  const slots = new Map<string, Slot>();
  let bytes = 0;

  const remove = (key: string) => {
    const slot = slots.get(key);
    if (slot === undefined) return;
    slots.delete(key);
    bytes -= slot.bytes;
  };

  return {
    maxBytes,
    maxEntryBytes,
    get bytes() {
      return bytes;
    },
    get size() {
      return slots.size;
    },
    get(key) {
      const slot = slots.get(key);
      if (slot === undefined) return Promise.resolve(undefined);
      if (slot.expiresAt <= now()) {
        remove(key);
        return Promise.resolve(undefined);
      }
      // Most recently used goes last.
      slots.delete(key);
      slots.set(key, slot);
      return Promise.resolve(slot.entry);
    },
    set(key, entry, ttlMs) {
      const size = entrySize(entry);
      if (size > maxEntryBytes || ttlMs <= 0) return Promise.resolve();
      // Own the bytes: a view into a larger buffer would hold (and hide) all of it.
      const body = entry.body;
      const owned =
        body.byteOffset === 0 && body.buffer.byteLength === body.byteLength
          ? entry
          : { ...entry, body: Uint8Array.prototype.slice.call(body) };
      const slotBytes = size + key.length + ENTRY_OVERHEAD_BYTES;
      remove(key);
      for (const [oldest] of slots) {
        if (bytes + slotBytes <= maxBytes) break;
        remove(oldest);
      }
      if (bytes + slotBytes > maxBytes) return Promise.resolve();
      slots.set(key, { entry: owned, expiresAt: now() + ttlMs, bytes: slotBytes });
      bytes += slotBytes;
      return Promise.resolve();
    },
    delete(key) {
      remove(key);
      return Promise.resolve();
    },
    clear() {
      slots.clear();
      bytes = 0;
    },
  };
}
