import { timingSafeEqual } from "node:crypto";
import { type Attributes, type Counter, type Meter, metrics } from "@opentelemetry/api";
import {
  type CanonicalRequest,
  type Gateway,
  type GatewayHttpResponse,
  HookStage,
  hashApiKey,
  type Logger,
  type Operation,
  type Plugin,
  type Principal,
  parseOptions,
  priceOf,
  type RateLimitRejection,
  type RequestContext,
  type RoutePlan,
  type RouteTarget,
  SwitchyardError,
  type Usage,
} from "@switchyard/core";
import {
  createMemoryStore,
  createTokenEstimator,
  formatResetDuration,
  type LimitCheck,
  type LimiterStore,
} from "@switchyard/limiter";
import { z } from "zod";
import {
  type BudgetDecision,
  type BudgetLedger,
  type BudgetRefusal,
  type BudgetReservation,
  createBudgetLedger,
} from "./budget-ledger.js";
import { isVirtualKey, KEY_PREFIX, presentedKey } from "./key-format.js";
import {
  type BudgetLimits,
  budgetLimitsSchema,
  keyStatus,
  publicKey,
  type StoredKey,
  type VirtualKey,
} from "./key-record.js";
import type { KeyStore } from "./key-store.js";
import { compileModelPatterns } from "./model-patterns.js";
import {
  formatCostHeader,
  formatUsd,
  modelPriceSchema,
  type PriceOverrides,
  priceOfTarget,
  usageMicros,
} from "./pricing.js";
import { createMemorySpendStore, type SpendStore, utcDay } from "./spend-store.js";

const PLUGIN_NAME = "switchyard:virtual-keys";

/** Options of {@link createVirtualKeysPlugin}. */
export interface VirtualKeysOptions {
  /** Where keys live: `createFileKeyStore`, `createRedisKeyStore` (`@switchyard/keys/redis`), or your own. */
  store: KeyStore;
  /**
   * Where budget counters and per-key rate limits live. Use `createRedisStore` of
   * `@switchyard/limiter-redis` to share them between replicas (exact budgets across all of them).
   * @default createMemoryStore() (per process)
   */
  limitStore?: LimiterStore;
  /**
   * Where spend (per day, key, team, model) is counted. `createRedisSpendStore` shares it.
   * @default createMemorySpendStore() (per process)
   */
  spendStore?: SpendStore;
  /** Team budgets in USD, by team name: `{ research: { daily: 50, monthly: 1000 } }`. @default {} */
  teams?: Readonly<Record<string, BudgetLimits>>;
  /**
   * Prices (USD per million tokens) that win over the provider's price table, by `provider/model` or by
   * model id. Used for budgets, spend, the cost header and `context.cost`. @default {}
   */
  prices?: PriceOverrides;
  /** Send `x-switchyard-cost` (USD) on non-streamed answers (a stream's headers leave before its cost is known). @default false */
  costHeader?: boolean;
  /** Completion tokens assumed for a request without `max_tokens` / `max_completion_tokens`. @default 4096 */
  defaultMaxTokens?: number;
  /** How prompt tokens are counted for reservations (see `@switchyard/limiter`). @default "auto" */
  tokenizer?: "auto" | "estimate";
  /**
   * A request under a budget whose route reaches a model with no price: `"refuse"` answers 403 (its cost has
   * no bound), `"allow"` lets it through uncharged. Requests under no budget are never refused for this.
   * @default "refuse"
   */
  unpricedModels?: "refuse" | "allow";
  /**
   * When the limit store fails: `"closed"` refuses budgeted or rate-limited requests with 503, `"open"`
   * admits them unchecked. (A key store that fails always refuses: keys are never admitted unchecked.)
   * @default "closed"
   */
  failureMode?: "open" | "closed";
  /** Where the plugin's metrics go. @default metrics.getMeter("@switchyard/keys") (a no-op without an SDK) */
  meter?: Meter;
  /** The clock for expiry, calendar months and spend days (ms since the epoch). @default Date.now */
  clock?: () => number;
}

/** The virtual keys plugin, with what the admin API needs. */
export interface VirtualKeysPlugin extends Plugin {
  readonly store: KeyStore;
  readonly limitStore: LimiterStore;
  readonly spendStore: SpendStore;
  readonly budgets: BudgetLedger;
}

/** Metric names, kept as local constants (OpenTelemetry style). */
export const KEYS_METRICS = Object.freeze({
  /** Counter: virtual key checks, by `switchyard.keys.outcome` (valid, invalid, revoked, expired). */
  authentications: "switchyard.keys.authentications",
  /** Counter: budget decisions, by `switchyard.keys.outcome` (admitted, exhausted, store_unavailable_*). */
  budgetDecisions: "switchyard.keys.budget.decisions",
  /** Counter, `{USD}`: spend charged, by team, provider and model. */
  spend: "switchyard.keys.spend",
});

const optionsSchema = z
  .object({
    store: z.custom<KeyStore>(
      (value) =>
        typeof (value as KeyStore | undefined)?.findByHash === "function" &&
        typeof (value as KeyStore).list === "function",
      "Expected a KeyStore",
    ),
    limitStore: z
      .custom<LimiterStore>(
        (value) =>
          typeof (value as LimiterStore | undefined)?.consume === "function" &&
          typeof (value as LimiterStore).adjust === "function",
        "Expected a LimiterStore (consume and adjust functions)",
      )
      .optional(),
    spendStore: z
      .custom<SpendStore>(
        (value) => typeof (value as SpendStore | undefined)?.record === "function",
        "Expected a SpendStore",
      )
      .optional(),
    teams: z.record(z.string().min(1), budgetLimitsSchema).default({}),
    prices: z.record(z.string().min(1), modelPriceSchema).default({}),
    costHeader: z.boolean().default(false),
    defaultMaxTokens: z.number().int().positive().default(4096),
    tokenizer: z.enum(["auto", "estimate"]).default("auto"),
    unpricedModels: z.enum(["refuse", "allow"]).default("refuse"),
    failureMode: z.enum(["open", "closed"]).default("closed"),
    meter: z
      .custom<Meter>((value) => typeof (value as Meter | undefined)?.createCounter === "function")
      .optional(),
    clock: z.custom<() => number>((value) => typeof value === "function").optional(),
  })
  .strict();

/** What the plugin keeps on a request (in `context.locals`). */
interface KeyRequestState {
  key: StoredKey | undefined;
  promptTokens: number | undefined;
  /** Per-key rate limits charged: settled (tokens) when the request ends. */
  rate:
    | { readonly checks: readonly LimitCheck[]; readonly reservedAtMs: number; readonly tokens: number }
    | undefined;
  budget: BudgetReservation | undefined;
  settled: boolean;
}

// A global symbol, so the state is found even when two copies of this package are installed.
const kState = Symbol.for("switchyard.keys.request");

function stateOf(context: RequestContext): KeyRequestState {
  let state = context.locals[kState] as KeyRequestState | undefined;
  if (state === undefined) {
    state = { key: undefined, promptTokens: undefined, rate: undefined, budget: undefined, settled: false };
    context.locals[kState] = state;
  }
  return state;
}

/** The virtual key that authenticated `context`, without its hash; `undefined` for other callers. */
export function getVirtualKey(context: RequestContext): VirtualKey | undefined {
  const key = (context.locals[kState] as KeyRequestState | undefined)?.key;
  return key && publicKey(key);
}

/** At most one store-failure log line per this many ms (the metrics count every failure). */
const STORE_ERROR_LOG_INTERVAL_MS = 10_000;
const MINUTE_MS = 60_000;

/**
 * Virtual API keys: authenticates `sk-swy-…` keys against a key store (by SHA-256, compared in constant
 * time; revoked and expired keys refused from the next request on), enforces each key's allowed models
 * and rate limits, reserves the worst-case cost of a request on the key's and team's budgets before the
 * call and settles it to the real cost after, counts spend per day, key, team and model, and can price
 * answers (overrides, `x-switchyard-cost`). Keys without the prefix are left to other auth plugins.
 */
export function createVirtualKeysPlugin(options: VirtualKeysOptions): VirtualKeysPlugin {
  const settings = parseOptions(optionsSchema, options, "virtual keys");
  const store = settings.store;
  const limitStore = settings.limitStore ?? createMemoryStore();
  const spendStore = settings.spendStore ?? createMemorySpendStore();
  const clock = settings.clock ?? Date.now;
  const prices: PriceOverrides = settings.prices;
  const hasOverrides = Object.keys(prices).length > 0;
  const budgets = createBudgetLedger({ store: limitStore, teams: settings.teams, clock });
  const estimator = createTokenEstimator({
    defaultMaxTokens: settings.defaultMaxTokens,
    tokenizer: settings.tokenizer,
  });
  const meter = settings.meter ?? metrics.getMeter("@switchyard/keys");
  const authentications: Counter = meter.createCounter(KEYS_METRICS.authentications, {
    description: "Virtual key checks, by outcome.",
  });
  const budgetDecisions: Counter = meter.createCounter(KEYS_METRICS.budgetDecisions, {
    description: "Budget decisions, by outcome.",
  });
  const spendCounter: Counter = meter.createCounter(KEYS_METRICS.spend, {
    description: "Spend charged to keys and teams.",
    unit: "{USD}",
  });

  let gateway: Gateway | undefined;
  let logger: Logger | undefined;
  // Throttled per store, so a failing key store does not hide a failing limit store.
  const throttles = new Map<string, { lastLogAt: number; suppressed: number }>();
  const storeFailed = (what: "key" | "limit" | "spend", error: unknown, requestId: string) => {
    const now = Date.now();
    const throttle = throttles.get(what) ?? { lastLogAt: Number.NEGATIVE_INFINITY, suppressed: 0 };
    throttles.set(what, throttle);
    if (now - throttle.lastLogAt < STORE_ERROR_LOG_INTERVAL_MS) {
      throttle.suppressed++;
      return;
    }
    logger?.error(
      { requestId, store: what, suppressedSinceLastLog: throttle.suppressed, err: loggable(error) },
      `virtual keys: ${what} store failed`,
    );
    throttle.lastLogAt = now;
    throttle.suppressed = 0;
  };

  const promptTokens = async (context: RequestContext, model: string): Promise<number> => {
    const state = stateOf(context);
    state.promptTokens ??= (await estimator.estimate(context.request, context.operation, model)).prompt;
    return state.promptTokens;
  };

  const authenticate = async (context: RequestContext): Promise<Principal | undefined> => {
    const presented = presentedKey(context.headers);
    if (presented === undefined || !presented.startsWith(KEY_PREFIX)) return undefined;
    const refuse = (outcome: string, message: string) => {
      authentications.add(1, { "switchyard.keys.outcome": outcome });
      return new SwitchyardError("SWY_ERR_AUTH_INVALID", message);
    };
    if (!isVirtualKey(presented)) throw refuse("invalid", "The API key is not valid.");
    const digest = hashApiKey(presented);
    let found: StoredKey | undefined;
    try {
      found = await store.findByHash(digest);
    } catch (error) {
      storeFailed("key", error, context.id);
      throw new SwitchyardError(
        "SWY_ERR_AUTH_STORE_UNAVAILABLE",
        "The gateway's key store is unavailable; try again shortly.",
        {
          retryAfterMs: 1_000,
          cause: error,
        },
      );
    }
    // The lookup went by digest; compare it again in constant time so no code path leaks how much matched.
    if (
      found === undefined ||
      !timingSafeEqual(Buffer.from(found.sha256, "hex"), Buffer.from(digest, "hex"))
    ) {
      throw refuse("invalid", "The API key is not valid.");
    }
    const status = keyStatus(found, clock());
    if (status === "revoked") throw refuse("revoked", "The API key has been revoked.");
    if (status === "expired") throw refuse("expired", `The API key expired at ${found.expiresAt}.`);
    authentications.add(1, { "switchyard.keys.outcome": "valid" });
    stateOf(context).key = found;
    const metadata: Record<string, unknown> = { ...found.metadata };
    if (found.name !== undefined) metadata.keyName = found.name;
    if (found.models !== undefined) metadata.allowedModels = found.models;
    return { id: found.id, ...(found.team === undefined ? {} : { team: found.team }), metadata };
  };

  /** Allowed models first (a refused model takes no quota), then the key's own rate limits. */
  const admit = async (context: RequestContext): Promise<RateLimitRejection | undefined> => {
    const state = context.locals[kState] as KeyRequestState | undefined;
    const key = state?.key;
    if (state === undefined || key === undefined) return undefined;
    if (key.models !== undefined && !compileModelPatterns(key.models)(context.model)) {
      const shown = key.models.slice(0, 10).join(", ") + (key.models.length > 10 ? ", ..." : "");
      throw new SwitchyardError(
        "SWY_ERR_AUTH_MODEL_NOT_ALLOWED",
        `The API key '${key.id}' may not use the model '${context.model.slice(0, 200)}'. Allowed: ${shown || "(none)"}.`,
        { param: "model" },
      );
    }
    const limits = key.rateLimits;
    if (limits?.requestsPerMinute === undefined && limits?.tokensPerMinute === undefined) return undefined;
    const subject = `key=${key.id}`;
    const checks: LimitCheck[] = [];
    const perMinute = (limit: number) => ({
      kind: "sliding-window" as const,
      limit,
      windowMs: MINUTE_MS,
      burst: limit,
    });
    if (limits.requestsPerMinute !== undefined) {
      checks.push({ name: "key.rpm", subject, algorithm: perMinute(limits.requestsPerMinute), cost: 1 });
    }
    let tokens = 0;
    if (limits.tokensPerMinute !== undefined) {
      tokens =
        (await promptTokens(context, context.model)) +
        completionAllowance(context.request, context.operation, undefined, settings.defaultMaxTokens);
      if (tokens > limits.tokensPerMinute) {
        throw new SwitchyardError(
          "SWY_ERR_LIMIT_REQUEST_TOO_LARGE",
          `The request needs ${tokens} tokens (prompt + max_tokens), more than the API key '${key.id}' may use in a minute (${limits.tokensPerMinute}). Lower max_tokens or shorten the prompt.`,
        );
      }
      checks.push({ name: "key.tpm", subject, algorithm: perMinute(limits.tokensPerMinute), cost: tokens });
    }
    let result: Awaited<ReturnType<LimiterStore["consume"]>>;
    try {
      result = await limitStore.consume(checks);
    } catch (error) {
      storeFailed("limit", error, context.id);
      if (settings.failureMode === "open") return undefined;
      throw limitStoreUnavailable(error);
    }
    if (!result.allowed) {
      const index = result.limits.findIndex((limit) => !limit.allowed);
      const refused = checks[index] ?? checks[0];
      const state429 = result.limits[index];
      const retryAfterMs = Number.isFinite(state429?.retryAfterMs)
        ? (state429?.retryAfterMs ?? MINUTE_MS)
        : MINUTE_MS;
      const what =
        refused?.name === "key.tpm"
          ? `${limits.tokensPerMinute} tokens per minute (${state429?.remaining ?? 0} left, this request needs ${tokens})`
          : `${limits.requestsPerMinute} requests per minute`;
      return {
        message: `Rate limit exceeded: the API key '${key.id}' allows ${what}. Retry after ${formatResetDuration(retryAfterMs)}.`,
        retryAfterMs,
      };
    }
    state.rate = { checks, reservedAtMs: result.nowMs, tokens };
    return undefined;
  };

  /** Reserves the worst case over every target of the route: fallbacks may reach a dearer model. */
  const reserveBudget = async (plan: RoutePlan, context: RequestContext): Promise<RoutePlan> => {
    if (plan.targets.length === 0 || gateway === undefined) return plan;
    const state = stateOf(context);
    const key = state.key;
    const lines = budgets.linesFor(key?.id, key?.budget, context.principal?.team);
    if (lines.length === 0) return plan;
    const first = plan.targets[0] as RouteTarget;
    const prompt = await promptTokens(context, first.model);
    let worst = { micros: 0, completion: 0, target: first };
    for (const target of plan.targets) {
      const price = priceOfTarget(gateway, prices, target);
      if (price === undefined) {
        if (settings.unpricedModels === "allow") continue;
        throw new SwitchyardError(
          "SWY_ERR_AUTH_MODEL_NOT_ALLOWED",
          `The model '${target.provider.name}/${target.model}' has no price, so a request under a budget cannot use it (its cost has no bound). Ask an administrator to set a price for it.`,
          { param: "model" },
        );
      }
      const completion = completionAllowance(
        context.request,
        context.operation,
        target.params,
        settings.defaultMaxTokens,
      );
      const micros = usageMicros(price, {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
      });
      if (micros > worst.micros) worst = { micros, completion, target };
    }
    let decision: BudgetDecision;
    try {
      decision = await budgets.reserve(lines, worst.micros);
    } catch (error) {
      storeFailed("limit", error, context.id);
      if (settings.failureMode === "open") {
        budgetDecisions.add(1, { "switchyard.keys.outcome": "store_unavailable_admitted" });
        return plan;
      }
      budgetDecisions.add(1, { "switchyard.keys.outcome": "store_unavailable_refused" });
      throw limitStoreUnavailable(error);
    }
    if (!decision.allowed) {
      budgetDecisions.add(1, { "switchyard.keys.outcome": "exhausted" });
      throw budgetError(decision.refusal, prompt, worst.completion, worst.target, clock());
    }
    budgetDecisions.add(1, { "switchyard.keys.outcome": "admitted" });
    state.budget = decision.reservation;
    return plan;
  };

  const costHeader = (response: GatewayHttpResponse, context: RequestContext): GatewayHttpResponse => {
    const target = context.attempts.at(-1)?.target;
    const body = response.body;
    const streamed = body !== null && typeof body === "object" && Symbol.asyncIterator in body;
    if (streamed || context.usage === undefined || target === undefined || gateway === undefined)
      return response;
    const price = priceOfTarget(gateway, prices, target);
    if (price === undefined) return response;
    const usd = priceOf({ id: target.model, price }, context.usage) ?? 0;
    return { ...response, headers: { ...response.headers, "x-switchyard-cost": formatCostHeader(usd) } };
  };

  const settle = async (context: RequestContext, error: SwitchyardError | undefined): Promise<void> => {
    const state = context.locals[kState] as KeyRequestState | undefined;
    if (state?.settled) return;
    if (state !== undefined) state.settled = true;
    const target = context.attempts.at(-1)?.target;
    const price = target && gateway ? priceOfTarget(gateway, prices, target) : undefined;
    // Before any await: requestCompleted taps run in order up to their first await, so taps after this
    // one (stage EARLY) see the overridden cost.
    if (hasOverrides && price !== undefined && context.usage !== undefined && target !== undefined) {
      context.cost = priceOf({ id: target.model, price }, context.usage);
    }
    const usage = target === undefined ? undefined : await chargedUsage(context, error, target);
    const costMicros = price !== undefined && usage !== undefined ? usageMicros(price, usage) : 0;
    const work: Array<Promise<unknown>> = [];
    if (state?.budget !== undefined) {
      work.push(
        budgets
          .settle(state.budget, costMicros)
          .catch((failure: unknown) => storeFailed("limit", failure, context.id)),
      );
    }
    const tpm = state?.rate?.checks.find((check) => check.name === "key.tpm");
    if (state?.rate !== undefined && tpm !== undefined) {
      const delta = (usage === undefined ? 0 : usage.total_tokens) - state.rate.tokens;
      if (delta !== 0) {
        work.push(
          limitStore
            .adjust([
              {
                name: tpm.name,
                subject: tpm.subject,
                algorithm: tpm.algorithm,
                delta,
                reservedAtMs: state.rate.reservedAtMs,
              },
            ])
            .catch((failure: unknown) => storeFailed("limit", failure, context.id)),
        );
      }
    }
    if (target !== undefined && usage !== undefined) {
      const team = context.principal?.team;
      const model = `${target.provider.name}/${target.model}`;
      work.push(
        spendStore
          .record({
            day: utcDay(clock()),
            key: context.principal?.id ?? "anonymous",
            ...(team === undefined ? {} : { team }),
            model,
            costMicros,
            requests: 1,
            inputTokens: usage.prompt_tokens,
            outputTokens: usage.completion_tokens ?? 0,
          })
          .catch((failure: unknown) => storeFailed("spend", failure, context.id)),
      );
      if (costMicros > 0) {
        const attributes: Attributes = {
          "gen_ai.provider.name": target.provider.name,
          "gen_ai.request.model": target.model,
        };
        if (team !== undefined) attributes["switchyard.team"] = team;
        spendCounter.add(costMicros / 1_000_000, attributes);
      }
    }
    await Promise.all(work);
  };

  /**
   * The usage a finished request is charged for: the provider's, when it reported one; nothing when no
   * attempt got an answer; else an estimate: the prompt plus one token per relayed event for streams and
   * failures (an abandoned stream pays for what was generated), the completion allowance otherwise.
   */
  const chargedUsage = async (
    context: RequestContext,
    error: SwitchyardError | undefined,
    target: RouteTarget,
  ): Promise<Usage | undefined> => {
    if (context.usage !== undefined) return context.usage;
    const answered = context.attempts.some((attempt) => attempt.status !== undefined && attempt.status < 400);
    if (!answered) return undefined;
    const prompt = await promptTokens(context, target.model);
    const completion =
      error !== undefined || context.stream
        ? context.streamedEvents
        : completionAllowance(context.request, context.operation, target.params, settings.defaultMaxTokens);
    return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  };

  return {
    name: PLUGIN_NAME,
    store,
    limitStore,
    spendStore,
    budgets,
    apply(target: Gateway) {
      gateway = target;
      logger = target.logger;
      const hooks = target.hooks;
      // EARLY: virtual keys are recognised before other auth taps (which may refuse keys they do not know).
      hooks.authenticate.tapPromise({ name: PLUGIN_NAME, stage: HookStage.EARLY }, authenticate);
      // EARLY: before the rate-limit plugin charges anything, and before `respond` (a cache) may answer.
      hooks.rateLimit.tapPromise({ name: PLUGIN_NAME, stage: HookStage.EARLY }, admit);
      // LATE: after every router, so the targets (and their prices) are final.
      hooks.resolveRoute.tapPromise({ name: PLUGIN_NAME, stage: HookStage.LATE }, reserveBudget);
      if (settings.costHeader)
        hooks.finalizeResponse.tap({ name: PLUGIN_NAME, stage: HookStage.LATE }, costHeader);
      hooks.requestCompleted.tapPromise({ name: PLUGIN_NAME, stage: HookStage.EARLY }, (context) =>
        settle(context, undefined),
      );
      hooks.requestFailed.tapPromise({ name: PLUGIN_NAME, stage: HookStage.EARLY }, (context, error) =>
        settle(context, error),
      );
    },
  };
}

/** Completion tokens a request may produce on a target: `max_completion_tokens` / `max_tokens` (or the default) times `n`. */
function completionAllowance(
  request: CanonicalRequest,
  operation: Operation,
  params: Readonly<Record<string, unknown>> | undefined,
  fallback: number,
): number {
  if (operation === "embeddings") return 0;
  const fields = { ...request, ...params } as {
    max_completion_tokens?: number | null;
    max_tokens?: number | null;
    n?: number | null;
  };
  return (fields.max_completion_tokens ?? fields.max_tokens ?? fallback) * (fields.n ?? 1);
}

function limitStoreUnavailable(cause: unknown): SwitchyardError {
  return new SwitchyardError(
    "SWY_ERR_LIMIT_STORE_UNAVAILABLE",
    "The gateway's budget and limit store is unavailable; try again shortly.",
    { retryAfterMs: 1_000, cause },
  );
}

function budgetError(
  refusal: BudgetRefusal,
  prompt: number,
  completion: number,
  target: RouteTarget,
  nowMs: number,
): SwitchyardError {
  const { line, remainingMicros, costMicros, resetAtMs, refusedCount } = refusal;
  const resetInMs = resetAtMs === undefined ? undefined : Math.max(0, resetAtMs - nowMs);
  const owner = line.owner.kind === "key" ? `API key '${line.owner.id}'` : `team '${line.owner.id}'`;
  const others = refusedCount > 1 ? ` (${refusedCount - 1} more budget(s) also refused it)` : "";
  const fits =
    remainingMicros > 0
      ? " Lower max_tokens (the reservation assumes the whole allowance is used) or wait."
      : "";
  const headers: Record<string, string> = {};
  let when: string;
  if (resetInMs === undefined) when = " It does not reset: ask an administrator to raise it.";
  else {
    const resetAt = new Date(resetAtMs as number).toISOString();
    when = ` It resets at ${resetAt} (in ${formatResetDuration(resetInMs)}).`;
    // Core writes Retry-After only for 429 and 503; it means the same on a 402.
    headers["retry-after"] = String(Math.max(1, Math.ceil(resetInMs / 1000)));
    headers["x-switchyard-budget-reset"] = resetAt;
  }
  return new SwitchyardError(
    "SWY_ERR_BUDGET_EXHAUSTED",
    `Budget exhausted: the ${owner} ${line.period} budget of ${formatUsd(line.limitMicros)} has ${formatUsd(remainingMicros)} left, and this request may cost up to ${formatUsd(costMicros)} (${prompt} prompt tokens + ${completion} completion tokens on '${target.provider.name}/${target.model}')${others}.${fits}${when}`,
    { headers, ...(resetInMs === undefined ? {} : { retryAfterMs: resetInMs }) },
  );
}

/**
 * A store error reduced to name, message, code and stack: client errors carry more (ioredis attaches the
 * failed command with its arguments, which name key hashes), and loggers like pino print all of it.
 */
function loggable(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(code === undefined ? {} : { code }),
    stack: error.stack,
  };
}
