/**
 * The Redis cache store, a subpath of its own (`@switchyard/cache/redis`) so that the memory-only setup
 * never loads ioredis.
 *
 * @packageDocumentation
 */
import { parseOptions } from "@switchyard/core";
import { type Cluster, Redis } from "ioredis";
import { z } from "zod";
import { type CacheEntry, type CacheStore, decodeEntry, encodeEntry } from "./cache-store.js";

/** An ioredis client: a single server (`Redis`) or a cluster (`Cluster`). */
export type RedisClient = Redis | Cluster;

/** Options of {@link createRedisCacheStore}. Give `client` or `url`. */
export interface RedisCacheStoreOptions {
  /** An ioredis client (or Cluster) to use. The store never closes it. */
  client?: RedisClient;
  /** A Redis URL (`redis://host:6379/0`, `rediss://...`): the store opens a client and closes it in `close()`. */
  url?: string;
  /** Prepended to every key, so several gateways (or test runs) can share one Redis. @default "swy:cache:" */
  prefix?: string;
  /**
   * Largest entry stored (its encoded size). Redis holds what it is given until the TTL: bound memory with
   * this, the TTLs and Redis's own `maxmemory` + `maxmemory-policy allkeys-lru`.
   * @default 1048576 (1 MiB)
   */
  maxEntryBytes?: number;
  /** How long a call may take before the cache gives up on it (a miss, or a skipped write). @default 250 */
  timeoutMs?: number;
}

/** The Redis store, with the client it talks through. */
export interface RedisCacheStore extends CacheStore {
  readonly client: RedisClient;
  readonly prefix: string;
  /** Closes the client when the store opened it (`url`); a client passed in is left open. */
  close(): Promise<void>;
}

const optionsSchema = z
  .object({
    client: z.custom<RedisClient>((value) => typeof value === "object" && value !== null).optional(),
    url: z
      .string()
      .regex(/^rediss?:\/\//, "Expected a redis:// or rediss:// URL")
      .optional(),
    prefix: z.string().default("swy:cache:"),
    maxEntryBytes: z
      .number()
      .int()
      .positive()
      .max(512 * 1024 * 1024)
      .default(1024 * 1024),
    timeoutMs: z.number().int().positive().default(250),
  })
  .strict()
  .refine((options) => (options.client === undefined) !== (options.url === undefined), {
    message: "Give exactly one of `client` and `url`",
  });

// The commands the store uses, typed once: calling them on the `Redis | Cluster` union directly trips over
// their overloads.
interface Commands {
  getBuffer(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer, mode: "PX", ttlMs: number): Promise<unknown>;
  del(key: string): Promise<number>;
}

/**
 * Cached answers in Redis, shared by every gateway replica: one `GET` per lookup, one `SET ... PX ttl` per
 * write (single keys: no hash tags needed, works on Redis Cluster). Values are the entry's metadata and
 * its exact bytes (see `encodeEntry`). A call that fails or takes longer than `timeoutMs` rejects; the
 * cache then serves a miss or skips the write, and counts it.
 */
export function createRedisCacheStore(options: RedisCacheStoreOptions): RedisCacheStore {
  const settings = parseOptions(optionsSchema, options, "redis cache store");
  const owned = settings.client === undefined;
  const client: RedisClient =
    settings.client ??
    new Redis(settings.url as string, {
      // Fail fast rather than queue while Redis is away: a cache that waits is slower than no cache.
      maxRetriesPerRequest: 1,
      connectTimeout: Math.max(1_000, settings.timeoutMs),
    });
  // Errors of a client the store owns surface as failed calls; without a listener ioredis would also print
  // every reconnect attempt.
  if (owned) client.on("error", () => {});
  const commands = client as unknown as Commands;
  const { prefix, timeoutMs, maxEntryBytes } = settings;

  const bounded = <T>(call: Promise<T>, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis cache store: ${what} took over ${timeoutMs} ms`)),
        timeoutMs,
      );
      timer.unref();
    });
    return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
  };

  return {
    client,
    prefix,
    maxEntryBytes,
    async get(key) {
      const bytes = await bounded(commands.getBuffer(prefix + key), "GET");
      return bytes === null ? undefined : decodeEntry(bytes);
    },
    async set(key, entry: CacheEntry, ttlMs) {
      const bytes = encodeEntry(entry);
      if (bytes.byteLength > maxEntryBytes || ttlMs <= 0) return;
      await bounded(commands.set(prefix + key, bytes, "PX", Math.ceil(ttlMs)), "SET");
    },
    async delete(key) {
      await bounded(commands.del(prefix + key), "DEL");
    },
    async close() {
      if (owned) await client.quit().catch(() => client.disconnect());
    },
  };
}
