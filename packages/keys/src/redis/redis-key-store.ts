import { SwitchyardError } from "@switchyard/core";
import type { Redis } from "ioredis";
import type { KeyChanges, StoredKey } from "../key-record.js";
import { compact, storedKeySchema } from "../key-record.js";
import type { KeyStore } from "../key-store.js";
import {
  checkPrefix,
  connectRedis,
  type RedisClient,
  type RedisConnectionOptions,
} from "./redis-connection.js";

/** Options of {@link createRedisKeyStore}. Give `client` or `url`. */
export interface RedisKeyStoreOptions extends RedisConnectionOptions {
  /**
   * Prepended to every key (inside a hash tag, so all of a store's keys share one Cluster slot). No braces.
   * @default "swy:keys:"
   */
  prefix?: string;
}

/** The Redis key store, with the client it talks through. */
export interface RedisKeyStore extends KeyStore {
  readonly client: RedisClient;
}

// Adds a key unless its id or hash is taken: KEYS = record, id index; ARGV = id, sha256, field/value pairs.
const ADD_SCRIPT = `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 or redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
return 1
`;

// Changes fields of a key that exists: KEYS = record; ARGV = field/value pairs. Returns the new record.
const UPDATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if #ARGV > 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return redis.call('HGETALL', KEYS[1])
`;

function encode(fields: Record<string, unknown>): string[] {
  const pairs: string[] = [];
  for (const [field, value] of Object.entries(fields)) {
    if (value !== undefined) pairs.push(field, JSON.stringify(value));
  }
  return pairs;
}

function decode(hash: Record<string, string>): StoredKey | undefined {
  const entries = Object.entries(hash);
  if (entries.length === 0) return undefined;
  const record = Object.fromEntries(entries.map(([field, value]) => [field, JSON.parse(value) as unknown]));
  const parsed = storedKeySchema.safeParse(record);
  if (!parsed.success) {
    // Never name the record's hash: the message may be logged.
    throw new SwitchyardError(
      "SWY_ERR_CONFIG_INVALID",
      `Redis key store: the record of key '${String(record.id)}' is invalid.`,
    );
  }
  return parsed.data as StoredKey;
}

function pairsToHash(reply: unknown): Record<string, string> {
  const hash: Record<string, string> = {};
  if (!Array.isArray(reply)) return hash;
  for (let index = 0; index + 1 < reply.length; index += 2)
    hash[String(reply[index])] = String(reply[index + 1]);
  return hash;
}

/**
 * Keys in Redis: one hash per key at `{prefix}k:<sha256>` (its fields JSON-encoded) and an id index at
 * `{prefix}ids`. A lookup is one `HGETALL` on the primary, with no cache, so a revocation by any process
 * (`switchyard keys revoke`, the admin API) is seen by every replica on its next request.
 */
export function createRedisKeyStore(options: RedisKeyStoreOptions): RedisKeyStore {
  const prefix = checkPrefix(options.prefix ?? "swy:keys:", "redis key store");
  const connection = connectRedis(options, "redis key store");
  // The commands used here have the same signatures on Redis and Cluster; typing the union trips over overloads.
  const redis = connection.client as Redis;
  const recordKey = (sha256: string) => `{${prefix}}k:${sha256}`;
  const idsKey = `{${prefix}}ids`;

  const get = async (id: string): Promise<StoredKey | undefined> => {
    const sha256 = await redis.hget(idsKey, id);
    return sha256 === null ? undefined : decode(await redis.hgetall(recordKey(sha256)));
  };

  return {
    client: connection.client,

    async findByHash(sha256) {
      if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
      return decode(await redis.hgetall(recordKey(sha256)));
    },

    get,

    async list() {
      const ids = await redis.hgetall(idsKey);
      const hashes = Object.values(ids);
      if (hashes.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const sha256 of hashes) pipeline.hgetall(recordKey(sha256));
      const replies = (await pipeline.exec()) ?? [];
      const keys: StoredKey[] = [];
      for (const [error, hash] of replies) {
        if (error) throw error;
        const key = decode(hash as Record<string, string>);
        if (key !== undefined) keys.push(key);
      }
      return keys.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    },

    async add(key) {
      const stored = storedKeySchema.parse(key);
      const added = await redis.eval(
        ADD_SCRIPT,
        2,
        recordKey(stored.sha256),
        idsKey,
        stored.id,
        stored.sha256,
        ...encode(stored),
      );
      if (added !== 1) {
        throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", `A key with id '${stored.id}' already exists.`);
      }
    },

    async update(id, changes: KeyChanges) {
      const current = await get(id);
      if (current === undefined) return undefined;
      storedKeySchema.parse(compact({ ...current, ...compact(changes) }));
      const reply = await redis.eval(UPDATE_SCRIPT, 1, recordKey(current.sha256), ...encode(changes));
      return reply === null ? undefined : decode(pairsToHash(reply));
    },

    close: () => connection.close(),
  };
}
