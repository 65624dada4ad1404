import type { Redis } from "ioredis";
import { daysBetween, matchesQuery, type SpendRecord, type SpendStore } from "../spend-store.js";
import {
  checkPrefix,
  connectRedis,
  type RedisClient,
  type RedisConnectionOptions,
} from "./redis-connection.js";

/** Options of {@link createRedisSpendStore}. Give `client` or `url`. */
export interface RedisSpendStoreOptions extends RedisConnectionOptions {
  /** Prepended to every key (inside a hash tag). No braces. @default "swy:spend:" */
  prefix?: string;
  /** How long a day's counters are kept. @default 400 */
  retentionDays?: number;
}

/** The Redis spend store, with the client it talks through. */
export interface RedisSpendStore extends SpendStore {
  readonly client: RedisClient;
}

const METRICS = ["costMicros", "requests", "inputTokens", "outputTokens"] as const;

/**
 * Spend in Redis: one hash per UTC day at `{prefix}d:<YYYY-MM-DD>`, one field per key, team, model and
 * counter, added to with `HINCRBY` in one transaction per request (every replica adds to the same
 * counters, exactly). Days expire after `retentionDays`.
 */
export function createRedisSpendStore(options: RedisSpendStoreOptions): RedisSpendStore {
  const prefix = checkPrefix(options.prefix ?? "swy:spend:", "redis spend store");
  const retentionSeconds = (options.retentionDays ?? 400) * 86_400;
  const connection = connectRedis(options, "redis spend store");
  const redis = connection.client as Redis;
  const dayKey = (day: string) => `{${prefix}}d:${day}`;

  return {
    client: connection.client,

    async record(entry) {
      const key = dayKey(entry.day);
      const transaction = redis.multi();
      for (const metric of METRICS) {
        const amount = entry[metric];
        if (amount !== 0) {
          transaction.hincrby(
            key,
            JSON.stringify([entry.key, entry.team ?? "", entry.model, metric]),
            amount,
          );
        }
      }
      transaction.expire(key, retentionSeconds);
      const replies = (await transaction.exec()) ?? [];
      for (const [error] of replies) if (error) throw error;
    },

    async query(query) {
      const days = daysBetween(query.from, query.to);
      const pipeline = redis.pipeline();
      for (const day of days) pipeline.hgetall(dayKey(day));
      const replies = (await pipeline.exec()) ?? [];
      const rows: SpendRecord[] = [];
      replies.forEach(([error, hash], index) => {
        if (error) throw error;
        const day = days[index] as string;
        const byRow = new Map<string, { -readonly [Field in keyof SpendRecord]: SpendRecord[Field] }>();
        for (const [field, value] of Object.entries(hash as Record<string, string>)) {
          const [key, team, model, metric] = JSON.parse(field) as [
            string,
            string,
            string,
            (typeof METRICS)[number],
          ];
          const id = JSON.stringify([key, team, model]);
          let row = byRow.get(id);
          if (row === undefined) {
            row = { day, key, model, costMicros: 0, requests: 0, inputTokens: 0, outputTokens: 0 };
            if (team !== "") row.team = team;
            byRow.set(id, row);
          }
          if (METRICS.includes(metric)) row[metric] = Number(value);
        }
        for (const row of byRow.values()) if (matchesQuery(row, query)) rows.push(row);
      });
      return rows;
    },

    close: () => connection.close(),
  };
}
