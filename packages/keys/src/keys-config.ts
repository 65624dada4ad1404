import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Logger, parseOptions, SwitchyardError, silentLogger } from "@switchyard/core";
import { createMemoryStore, type LimiterStore } from "@switchyard/limiter";
import { z } from "zod";
import { type AdminHandler, createAdminHandler } from "./admin-handler.js";
import { createFileKeyStore } from "./file-key-store.js";
import { budgetLimitsSchema } from "./key-record.js";
import type { KeyStore } from "./key-store.js";
import { modelPriceSchema } from "./pricing.js";
import type { RedisClient } from "./redis/redis-connection.js";
import { createMemorySpendStore, type SpendStore } from "./spend-store.js";
import { createVirtualKeysPlugin, type VirtualKeysPlugin } from "./virtual-keys-plugin.js";

const storeUrl = z
  .string()
  .regex(/^(file:.+|rediss?:\/\/.*)$/, "file:./keys.json, file:///abs/keys.json or redis://host:6379");

/**
 * The `keys` section of the CLI config (docs/guides/keys-and-budgets.md#configuration):
 * `{ "store": "file:./keys.json", "state": "redis://…", "teams": {…}, "prices": {…}, "costHeader": true }`.
 */
export const keysConfigSchema = z
  .object({
    /** Where keys live: `file:<path>` (relative to the config file) or `redis://…` / `rediss://…`. */
    store: storeUrl,
    /**
     * Where budgets, per-key rate limits and spend live: `"memory"` (per process) or a Redis URL (shared,
     * exact across replicas). @default the store's Redis URL when the store is Redis, else "memory"
     */
    state: z
      .string()
      .regex(/^(memory|rediss?:\/\/.*)$/, "memory or redis://host:6379")
      .optional(),
    /** Prefix of every Redis key (keys, budgets, spend). No braces. @default "swy:" */
    prefix: z
      .string()
      .regex(/^[^{}]*$/, "must not contain braces")
      .default("swy:"),
    teams: z.record(z.string().min(1), budgetLimitsSchema).optional(),
    prices: z.record(z.string().min(1), modelPriceSchema).optional(),
    costHeader: z.boolean().optional(),
    defaultMaxTokens: z.number().int().positive().optional(),
    tokenizer: z.enum(["auto", "estimate"]).optional(),
    unpricedModels: z.enum(["refuse", "allow"]).optional(),
    failureMode: z.enum(["open", "closed"]).optional(),
  })
  .strict();

/** The `keys` config section, as written. */
export type KeysConfig = z.input<typeof keysConfigSchema>;

/** Options of {@link openKeyStore}. */
export interface OpenKeyStoreOptions {
  /** Directory `file:` paths are relative to (the config file's). @default process.cwd() */
  baseDir?: string;
  /** Prefix of Redis keys (the store adds `keys:`). @default "swy:" */
  prefix?: string;
  /** A Redis client to use instead of opening one for a `redis://` URL. */
  client?: RedisClient;
  /** Told when a key file changed but cannot be read (the keys read last stay in use). */
  onError?: (error: Error) => void;
}

/** The path of a `file:` store URL (`file:./keys.json`, `file:keys.json`, `file:///abs/keys.json`). */
export function keyFilePath(url: string, baseDir = process.cwd()): string {
  const path = url.startsWith("file://") ? fileURLToPath(url) : url.slice("file:".length);
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** Opens the key store a URL names: `file:<path>` or `redis://…`. */
export async function openKeyStore(url: string, options: OpenKeyStoreOptions = {}): Promise<KeyStore> {
  if (url.startsWith("file:")) {
    return createFileKeyStore({
      path: keyFilePath(url, options.baseDir),
      ...(options.onError ? { onError: options.onError } : {}),
    });
  }
  if (/^rediss?:\/\//.test(url)) {
    const { createRedisKeyStore } = await import("./redis/redis-key-store.js");
    const prefix = `${options.prefix ?? "swy:"}keys:`;
    return options.client
      ? createRedisKeyStore({ client: options.client, prefix })
      : createRedisKeyStore({ url, prefix });
  }
  throw new SwitchyardError(
    "SWY_ERR_CONFIG_INVALID",
    `key store '${url}': use file:<path> or redis://host:port.`,
  );
}

/** What {@link createKeysFromConfig} builds. */
export interface KeysSetup {
  readonly plugin: VirtualKeysPlugin;
  /** The admin API handler, when an admin key was given. */
  readonly admin: AdminHandler | undefined;
  /** Closes the stores and the Redis connection the setup opened. */
  close(): Promise<void>;
}

/** Options of {@link createKeysFromConfig}. */
export interface KeysSetupOptions {
  /** Directory `file:` paths are relative to: the config file's. @default process.cwd() */
  baseDir?: string;
  /** The admin API's key; without one no admin handler is built. */
  adminKey?: string;
  /** Path the admin handler is mounted under (stripped before routing), e.g. `/admin`. @default "" */
  adminPathPrefix?: string;
  /** Where store problems are reported (a key file that became invalid). @default silentLogger */
  logger?: Logger;
}

/**
 * Builds the virtual keys plugin (and the admin handler) from the CLI's `keys` config section: opens the
 * key store, and the budget/spend state in memory or on Redis (one shared connection), and reads the
 * key store once so a broken key file fails at start-up, not on the first request.
 */
export async function createKeysFromConfig(
  config: KeysConfig,
  options: KeysSetupOptions = {},
): Promise<KeysSetup> {
  const settings = parseOptions(keysConfigSchema, config, "keys");
  const logger = options.logger ?? silentLogger;
  const redisUrl = settings.store.startsWith("redis") ? settings.store : undefined;
  const stateUrl = settings.state ?? redisUrl ?? "memory";
  const clients = new Map<string, RedisClient>();
  const clientFor = async (url: string): Promise<RedisClient> => {
    const existing = clients.get(url);
    if (existing !== undefined) return existing;
    const { connectRedis } = await import("./redis/redis-connection.js");
    const { client } = connectRedis({ url }, "keys");
    clients.set(url, client);
    return client;
  };
  const closers: Array<() => Promise<void>> = [];
  try {
    const store = await openKeyStore(settings.store, {
      prefix: settings.prefix,
      ...(options.baseDir === undefined ? {} : { baseDir: options.baseDir }),
      ...(redisUrl === undefined ? {} : { client: await clientFor(redisUrl) }),
      onError: (error) =>
        logger.error(
          { err: error },
          "key store: the key file changed and cannot be read; keeping the keys read last",
        ),
    });
    let limitStore: LimiterStore;
    let spendStore: SpendStore;
    if (stateUrl === "memory") {
      limitStore = createMemoryStore();
      spendStore = createMemorySpendStore();
    } else {
      const client = await clientFor(stateUrl);
      const [{ createRedisStore }, { createRedisSpendStore }] = await Promise.all([
        import("@switchyard/limiter-redis"),
        import("./redis/redis-spend-store.js"),
      ]);
      limitStore = createRedisStore({ client, prefix: `${settings.prefix}budget:` });
      spendStore = createRedisSpendStore({ client, prefix: `${settings.prefix}spend:` });
    }
    closers.push(async () => {
      await limitStore.close?.();
      await spendStore.close?.();
      await store.close?.();
    });
    // Fail now on a key file that does not parse or a Redis that does not answer.
    await store.list();
    const plugin = createVirtualKeysPlugin({
      store,
      limitStore,
      spendStore,
      ...(settings.teams === undefined ? {} : { teams: settings.teams }),
      ...(settings.prices === undefined ? {} : { prices: settings.prices }),
      ...(settings.costHeader === undefined ? {} : { costHeader: settings.costHeader }),
      ...(settings.defaultMaxTokens === undefined ? {} : { defaultMaxTokens: settings.defaultMaxTokens }),
      ...(settings.tokenizer === undefined ? {} : { tokenizer: settings.tokenizer }),
      ...(settings.unpricedModels === undefined ? {} : { unpricedModels: settings.unpricedModels }),
      ...(settings.failureMode === undefined ? {} : { failureMode: settings.failureMode }),
    });
    const admin =
      options.adminKey === undefined
        ? undefined
        : createAdminHandler({
            adminKey: options.adminKey,
            store,
            spend: spendStore,
            budgets: plugin.budgets,
            ...(options.adminPathPrefix === undefined ? {} : { pathPrefix: options.adminPathPrefix }),
          });
    const close = async () => {
      for (const closer of closers.splice(0)) await closer();
      for (const client of clients.values()) await client.quit().catch(() => client.disconnect());
      clients.clear();
    };
    return { plugin, admin, close };
  } catch (error) {
    for (const closer of closers) await closer().catch(() => {});
    for (const client of clients.values()) client.disconnect();
    throw error;
  }
}
