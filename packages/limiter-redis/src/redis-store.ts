import { parseOptions, SwitchyardError } from "@switchyard/core";
import type {
  Clock,
  ConsumeResult,
  LimitAdjustment,
  LimitCheck,
  LimiterStore,
  LimitState,
} from "@switchyard/limiter";
import { type Cluster, Redis } from "ioredis";
import { z } from "zod";
import { algorithmCode, type LuaScript, scripts } from "./lua/scripts.js";
import { type HashTagMode, hashTagOf, limitKey } from "./redis-keys.js";

/** An ioredis client: a single server (`Redis`) or a cluster (`Cluster`). */
export type RedisClient = Redis | Cluster;

/** Options of {@link createRedisStore}. Give `client` or `url`. */
export interface RedisStoreOptions {
  /** An ioredis client (or Cluster) to use. The store never closes it. */
  client?: RedisClient;
  /** A Redis URL (`redis://host:6379/0`, `rediss://...`): the store opens a client and closes it in `close()`. */
  url?: string;
  /**
   * Prepended to every key, so several gateways (or test runs) can share one Redis. No braces.
   * @default "swy:rl:"
   */
  prefix?: string;
  /**
   * How keys are hash-tagged for Redis Cluster. `"prefix"`: every key in one slot, so one script call
   * decides a whole request atomically (all limits on one shard). `"subject"`: keys spread by subject;
   * a request whose limits have several subjects takes one call per subject, undone in order when a later
   * one refuses. See docs/guides/rate-limiting.md#redis-cluster.
   * @default "prefix"
   */
  hashTag?: HashTagMode;
  /**
   * How long a call may take before the store gives up and reports the store unavailable (the plugin then
   * fails open or closed, as configured).
   * @default 1000
   */
  timeoutMs?: number;
  /**
   * For tests only: read time from this clock instead of the Redis server's `TIME`. Keys then live at
   * least 10 minutes, since durations of an injected clock say nothing about the server's.
   * @default undefined (the server's clock)
   */
  clock?: Clock;
}

/** The Redis store. */
export interface RedisStore extends LimiterStore {
  /** The client the store talks through. */
  readonly client: RedisClient;
}

const redisStoreOptionsSchema = z
  .object({
    client: z.custom<RedisClient>((value) => typeof value === "object" && value !== null).optional(),
    url: z
      .string()
      .regex(/^rediss?:\/\//, "Expected a redis:// or rediss:// URL")
      .optional(),
    prefix: z
      .string()
      .regex(/^[^{}]*$/, "Must not contain braces (they delimit the hash tag)")
      .default("swy:rl:"),
    hashTag: z.enum(["prefix", "subject"]).default("prefix"),
    timeoutMs: z.number().int().positive().default(1_000),
    clock: z.custom<Clock>((value) => typeof value === "function", "Expected a function").optional(),
  })
  .strict()
  .refine((options) => (options.client === undefined) !== (options.url === undefined), {
    message: "Give exactly one of `client` and `url`",
  });

/** Minimum key lifetime when a clock is injected (tests): 10 minutes. */
const INJECTED_CLOCK_MIN_TTL_MS = 600_000;

// The two methods the store uses, typed once: calling them on the `Redis | Cluster` union directly trips
// over their overloads.
interface ScriptRunner {
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  eval(source: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
}

function storeUnavailable(message: string, cause?: unknown): SwitchyardError {
  return new SwitchyardError("SWY_ERR_LIMIT_STORE_UNAVAILABLE", `Redis rate-limit store: ${message}`, {
    retryAfterMs: 1_000,
    cause,
  });
}

/**
 * The Redis store: limits shared by every gateway replica on one Redis (or Redis Cluster). Each call is one
 * Lua script run by SHA (`EVALSHA`): it reads the server's clock (`TIME`), decides every limit of the
 * request and charges them all or none, atomically. Needs Redis 5 or later (scripts that read TIME and
 * then write are replicated by effects).
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const settings = parseOptions(redisStoreOptionsSchema, options, "redis store");
  const owned = settings.client === undefined;
  const client: RedisClient =
    settings.client ??
    new Redis(settings.url as string, {
      // Fail fast rather than queue forever while Redis is away: the plugin decides what a failure means.
      maxRetriesPerRequest: 1,
      connectTimeout: settings.timeoutMs,
    });
  // Connection errors of a client the store owns surface as failed calls (and the plugin logs those);
  // without a listener ioredis would also print every reconnect attempt.
  if (owned) client.on("error", () => {});
  const runner = client as unknown as ScriptRunner;
  const { clock, prefix, hashTag, timeoutMs } = settings;
  const key = (name: string, kind: string, subject: string) => limitKey(hashTag, prefix, name, kind, subject);
  const leadingArgs = (): string[] => [
    clock === undefined ? "" : String(clock()),
    clock === undefined ? "" : String(INJECTED_CLOCK_MIN_TTL_MS),
  ];

  const run = (script: LuaScript, keys: readonly string[], args: ReadonlyArray<string | number>) => {
    let timer: NodeJS.Timeout | undefined;
    const call = (async () => {
      try {
        return await runner.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        // First call on a server (or cluster node) that has not seen the script: EVAL runs it once and
        // caches it there, so every later call goes by SHA again.
        if (error instanceof Error && error.message.startsWith("NOSCRIPT")) {
          return await runner.eval(script.source, keys.length, ...keys, ...args);
        }
        throw error;
      }
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(storeUnavailable(`no answer within ${timeoutMs} ms.`)), timeoutMs);
      timer.unref();
    });
    return Promise.race([call, timeout])
      .catch((error: unknown) => {
        throw SwitchyardError.is(error) ? error : storeUnavailable("the call failed.", error);
      })
      .finally(() => clearTimeout(timer));
  };

  const consumeOnce = async (checks: readonly LimitCheck[], dry: boolean): Promise<ConsumeResult> => {
    const keys = checks.map((check) => key(check.name, check.algorithm.kind, check.subject));
    const args: Array<string | number> = [...leadingArgs(), dry ? "1" : "0"];
    for (const check of checks) {
      const { kind, limit, windowMs, burst } = check.algorithm;
      args.push(algorithmCode(kind), limit, windowMs, burst, check.cost, check.leaseId ?? "");
    }
    return parseConsumeReply(await run(scripts.consume, keys, args), checks.length);
  };

  const adjust = async (adjustments: readonly LimitAdjustment[]): Promise<void> => {
    if (adjustments.length === 0) return;
    // One call per slot: in subject mode adjustments may span several.
    for (const group of groupBySlot(adjustments, (item) =>
      key(item.name, item.algorithm.kind, item.subject),
    )) {
      const keys: string[] = [];
      const args: Array<string | number> = [...leadingArgs()];
      for (const { item, key: itemKey } of group) {
        const { kind, limit, windowMs, burst } = item.algorithm;
        keys.push(itemKey);
        args.push(
          algorithmCode(kind),
          limit,
          windowMs,
          burst,
          item.delta,
          item.reservedAtMs,
          item.leaseId ?? "",
        );
      }
      await run(scripts.adjust, keys, args);
    }
  };

  return {
    client,

    async consume(checks: readonly LimitCheck[]): Promise<ConsumeResult> {
      if (checks.length === 0) return { allowed: true, nowMs: clock?.() ?? Date.now(), limits: [] };
      const groups = groupBySlot(checks, (check) => key(check.name, check.algorithm.kind, check.subject));
      if (groups.length === 1) return consumeOnce(checks, false);
      // Subject mode with several subjects: charge slot by slot; when one refuses, give back what the
      // earlier ones took and only look at the later ones. Never admits over a limit; a refused request
      // holds the earlier slots' units for the moment between the calls.
      const limits: LimitState[] = new Array(checks.length);
      const applied: Array<{ checks: LimitCheck[]; indices: number[]; nowMs: number }> = [];
      let refused = false;
      let nowMs = 0;
      for (const group of groups) {
        const groupChecks = group.map(({ item }) => item);
        const result = await consumeOnce(groupChecks, refused);
        if (!refused) nowMs = result.nowMs;
        group.forEach(({ index }, position) => {
          limits[index] = result.limits[position] as LimitState;
        });
        if (refused) continue;
        if (result.allowed) {
          applied.push({
            checks: groupChecks,
            indices: group.map(({ index }) => index),
            nowMs: result.nowMs,
          });
        } else refused = true;
      }
      if (refused && applied.length > 0) {
        await adjust(
          applied.flatMap(({ checks: groupChecks, nowMs: reservedAtMs }) =>
            groupChecks.map((check) => ({
              name: check.name,
              subject: check.subject,
              algorithm: check.algorithm,
              delta: -check.cost,
              reservedAtMs,
              ...(check.leaseId === undefined ? {} : { leaseId: check.leaseId }),
            })),
          ),
        ).catch(() => {
          // Best effort: a refund that fails leaves the units taken until the window ends (fewer admitted,
          // never more). Failing the refused request over it would only turn a 429 into a 503.
        });
        // Report what the given-back limits hold now, not what they held while charged.
        for (const group of applied) {
          const now = await consumeOnce(group.checks, true).catch(() => undefined);
          group.indices.forEach((index, position) => {
            const state = now?.limits[position];
            if (state !== undefined) limits[index] = state;
          });
        }
      }
      return { allowed: !refused, nowMs, limits };
    },

    adjust,

    async close() {
      if (!owned || client.status === "end") return;
      // QUIT needs a connection; a client that has none (Redis is down) is just dropped.
      if (client.status !== "ready") {
        client.disconnect();
        return;
      }
      const ended = new Promise<void>((resolve) => client.once("end", () => resolve()));
      await client.quit().catch(() => client.disconnect());
      await ended;
    },
  };
}

function groupBySlot<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
): Array<Array<{ item: T; index: number; key: string }>> {
  const groups = new Map<string, Array<{ item: T; index: number; key: string }>>();
  items.forEach((item, index) => {
    const itemKey = keyOf(item);
    const tag = hashTagOf(itemKey);
    let group = groups.get(tag);
    if (group === undefined) {
      group = [];
      groups.set(tag, group);
    }
    group.push({ item, index, key: itemKey });
  });
  return [...groups.values()];
}

function parseConsumeReply(reply: unknown, count: number): ConsumeResult {
  if (!Array.isArray(reply) || reply.length !== 2 + count * 4) {
    throw storeUnavailable("the consume script answered in an unexpected shape.");
  }
  const limits: LimitState[] = [];
  for (let index = 0; index < count; index++) {
    const base = 2 + index * 4;
    const retry = Number(reply[base + 3]);
    limits.push({
      allowed: reply[base] === 1,
      remaining: Number(reply[base + 1]),
      resetMs: Number(reply[base + 2]),
      retryAfterMs: retry < 0 ? Number.POSITIVE_INFINITY : retry,
    });
  }
  return { allowed: reply[0] === 1, nowMs: Number(reply[1]), limits };
}
