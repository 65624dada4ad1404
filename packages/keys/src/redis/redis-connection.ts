import { type Cluster, Redis } from "ioredis";

/** An ioredis client: a single server (`Redis`) or a cluster (`Cluster`). */
export type RedisClient = Redis | Cluster;

/** Where a Redis store connects: an existing client (never closed by the store) or a URL (closed by it). */
export interface RedisConnectionOptions {
  /** An ioredis client (or Cluster). The store never closes it. */
  client?: RedisClient;
  /** A Redis URL (`redis://host:6379/0`, `rediss://...`): the store opens a client and closes it in `close()`. */
  url?: string;
}

/** A client and how to let go of it. */
export interface RedisConnection {
  readonly client: RedisClient;
  close(): Promise<void>;
}

/** Opens (or borrows) a client. Owned clients fail fast while Redis is away instead of queueing forever. */
export function connectRedis(options: RedisConnectionOptions, label: string): RedisConnection {
  if ((options.client === undefined) === (options.url === undefined)) {
    throw new TypeError(`${label}: give exactly one of \`client\` and \`url\``);
  }
  if (options.client !== undefined) return { client: options.client, close: async () => {} };
  const client = new Redis(options.url as string, { maxRetriesPerRequest: 1, connectTimeout: 1_000 });
  // Errors surface as failed calls; without a listener ioredis would also print every reconnect attempt.
  client.on("error", () => {});
  return {
    client,
    async close() {
      if (client.status === "end") return;
      if (client.status !== "ready") {
        client.disconnect();
        return;
      }
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** Validates a key prefix: braces delimit Redis Cluster hash tags, so none in it. */
export function checkPrefix(prefix: string, label: string): string {
  if (/[{}]/.test(prefix)) throw new TypeError(`${label}: prefix must not contain braces`);
  return prefix;
}
