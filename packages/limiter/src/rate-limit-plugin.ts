import { randomUUID } from "node:crypto";
import { type Counter, type Meter, metrics } from "@opentelemetry/api";
import {
  type CanonicalRequest,
  type Gateway,
  HookStage,
  type Logger,
  type Operation,
  type Plugin,
  parseOptions,
  type RateLimitRejection,
  type RequestContext,
  SwitchyardError,
} from "@switchyard/core";
import { z } from "zod";
import { createClientAddressResolver, trustedProxySchema } from "./client-address.js";
import { type LimitOptions, limitOptionsSchema, type ResolvedLimit, resolveLimit } from "./limit-options.js";
import type { LimitAdjustment, LimitCheck, LimiterStore } from "./limiter-store.js";
import { createMemoryStore } from "./memory-store.js";
import {
  type AppliedLimitState,
  bindingLimit,
  formatResetDuration,
  type RateLimitHeaderFormat,
  rateLimitHeaders,
} from "./rate-limit-headers.js";
import {
  getRateLimitReservation,
  type RateLimitReservation,
  setRateLimitReservation,
} from "./reservation.js";
import { createTokenEstimator, type TokenEstimate } from "./token-estimate.js";

const PLUGIN_NAME = "switchyard:rate-limit";

/** Options of {@link createRateLimitPlugin}. */
export interface RateLimitPluginOptions {
  /**
   * The limits. A request is checked against every limit that applies to it, all or nothing: when one
   * refuses, none is charged.
   */
  limits: readonly LimitOptions[];
  /**
   * Where counters live. Share a Redis store (`@switchyard/limiter-redis`) between replicas to enforce one
   * limit across all of them.
   * @default createMemoryStore() (per process)
   */
  store?: LimiterStore;
  /**
   * When the store fails (down, too slow): `"open"` admits the request unchecked, `"closed"` refuses it with
   * 503 `SWY_ERR_LIMIT_STORE_UNAVAILABLE`. Either way the failure is logged and counted.
   * @default "open"
   */
  failureMode?: "open" | "closed";
  /** Completion tokens reserved for a request that sets no `max_tokens` / `max_completion_tokens`. @default 4096 */
  defaultMaxTokens?: number;
  /**
   * How prompt tokens are counted: `"auto"` uses gpt-tokenizer for models whose encoding is known
   * (OpenAI's) and the byte estimate elsewhere; `"estimate"` always uses the byte estimate (1 token per
   * 3 bytes of UTF-8), saving the tokenizer's memory and time.
   * @default "auto"
   */
  tokenizer?: "auto" | "estimate";
  /** Replaces the prompt token count (e.g. with a provider's own tokenizer). @default undefined */
  countPromptTokens?: (request: CanonicalRequest, operation: Operation) => number | Promise<number>;
  /** Which rate-limit headers to send, on every response of a limited request. @default ["openai", "ietf"] */
  headers?: readonly RateLimitHeaderFormat[];
  /** Where the plugin's metrics go. @default metrics.getMeter("@switchyard/limiter") (a no-op without an SDK) */
  meter?: Meter;
  /** The `rateLimit` tap's stage. @default HookStage.DEFAULT (0) */
  stage?: number;
  /**
   * Proxies whose `X-Forwarded-For` the `ip` key believes: addresses, CIDR blocks or `loopback` /
   * `private` / `linklocal` (see `createClientAddressResolver`).
   * @default [] (the `ip` key is the socket peer)
   */
  trustedProxies?: readonly string[];
}

/** The rate-limit plugin, with the store it uses. */
export interface RateLimitPlugin extends Plugin {
  readonly store: LimiterStore;
}

const pluginOptionsSchema = z
  .object({
    limits: z.array(limitOptionsSchema).min(1),
    store: z
      .custom<LimiterStore>(
        (value) =>
          typeof value === "object" &&
          value !== null &&
          typeof (value as LimiterStore).consume === "function" &&
          typeof (value as LimiterStore).adjust === "function",
        "Expected a LimiterStore (consume and adjust functions)",
      )
      .optional(),
    failureMode: z.enum(["open", "closed"]).default("open"),
    defaultMaxTokens: z.number().int().positive().default(4096),
    tokenizer: z.enum(["auto", "estimate"]).default("auto"),
    countPromptTokens: z
      .custom<NonNullable<RateLimitPluginOptions["countPromptTokens"]>>(
        (value) => typeof value === "function",
      )
      .optional(),
    headers: z.array(z.enum(["openai", "ietf", "ietf-legacy"])).default(["openai", "ietf"]),
    meter: z
      .custom<Meter>((value) => typeof (value as Meter | undefined)?.createCounter === "function")
      .optional(),
    stage: z.number().int().default(HookStage.DEFAULT),
    trustedProxies: z.array(trustedProxySchema).default([]),
  })
  .strict()
  .superRefine((options, issues) => {
    const seen = new Set<string>();
    options.limits.forEach((limit, index) => {
      if (seen.has(limit.name)) {
        issues.addIssue({
          code: "custom",
          path: ["limits", index, "name"],
          message: `Duplicate name '${limit.name}'`,
        });
      }
      seen.add(limit.name);
    });
  });

/** Metric names, kept as local constants (OpenTelemetry style). */
export const RATE_LIMIT_METRICS = Object.freeze({
  /** Counter: rate-limit decisions, by `switchyard.rate_limit.outcome`. */
  decisions: "switchyard.rate_limit.decisions",
  /** Counter: store calls that failed, by `switchyard.rate_limit.operation` and `.failure_mode`. */
  storeErrors: "switchyard.rate_limit.store.errors",
});

/** An applicable limit for one request, and its counter. */
interface Applicable {
  readonly limit: ResolvedLimit;
  readonly subject: string;
}

/** At most one store-failure log line per this many ms (the counter counts every failure). */
const STORE_ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * The rate-limit plugin: taps `hooks.rateLimit` to reserve requests and estimated tokens on every limit
 * that applies, all or nothing, and answers 429 with `Retry-After` and rate-limit headers when one
 * refuses. When the request ends (`requestCompleted` / `requestFailed`) it settles: tokens are charged to
 * the real usage (refunding what was reserved and not used; charging an abandoned stream for what was
 * generated), concurrency leases are released.
 */
export function createRateLimitPlugin(options: RateLimitPluginOptions): RateLimitPlugin {
  const settings = parseOptions(pluginOptionsSchema, options, "rate limit");
  const clientAddress = createClientAddressResolver({ trustedProxies: settings.trustedProxies });
  const limits = settings.limits.map((limit) => resolveLimit(limit, clientAddress));
  const store = settings.store ?? createMemoryStore();
  const formats = new Set<RateLimitHeaderFormat>(settings.headers);
  const estimator = createTokenEstimator({
    defaultMaxTokens: settings.defaultMaxTokens,
    tokenizer: settings.tokenizer,
    countPromptTokens: settings.countPromptTokens,
  });
  const meter = settings.meter ?? metrics.getMeter("@switchyard/limiter");
  const decisions: Counter = meter.createCounter(RATE_LIMIT_METRICS.decisions, {
    description: "Rate-limit decisions, by outcome.",
  });
  const storeErrors: Counter = meter.createCounter(RATE_LIMIT_METRICS.storeErrors, {
    description: "Rate-limit store calls that failed.",
  });
  const anyTokens = limits.some((limit) => limit.unit === "tokens");

  let logger: Logger | undefined;
  let lastErrorLogAt = Number.NEGATIVE_INFINITY;
  let suppressedErrors = 0;
  const storeFailed = (operation: "consume" | "adjust", error: unknown, requestId: string) => {
    storeErrors.add(1, {
      "switchyard.rate_limit.operation": operation,
      "switchyard.rate_limit.failure_mode": settings.failureMode,
    });
    const now = Date.now();
    if (now - lastErrorLogAt < STORE_ERROR_LOG_INTERVAL_MS) {
      suppressedErrors++;
      return;
    }
    lastErrorLogAt = now;
    logger?.error(
      {
        requestId,
        operation,
        failureMode: settings.failureMode,
        suppressedSinceLastLog: suppressedErrors,
        err: error,
      },
      operation === "consume"
        ? `rate-limit store unavailable: failing ${settings.failureMode} (${settings.failureMode === "open" ? "admitting unchecked" : "refusing with 503"})`
        : "rate-limit store unavailable: a reservation could not be settled",
    );
    suppressedErrors = 0;
  };

  const reserve = async (context: RequestContext): Promise<RateLimitRejection | undefined> => {
    const applicable: Applicable[] = [];
    for (const limit of limits) {
      if (limit.models !== undefined && !limit.models.has(context.model)) continue;
      const subject = limit.subjectOf(context);
      if (subject !== undefined) applicable.push({ limit, subject });
    }
    if (applicable.length === 0) return undefined;
    let estimate: TokenEstimate | undefined;
    if (anyTokens && applicable.some(({ limit }) => limit.unit === "tokens")) {
      const pending = estimator.estimate(context.request, context.operation, context.model);
      estimate = pending instanceof Promise ? await pending : pending;
    }
    const checks: LimitCheck[] = applicable.map(({ limit, subject }) => {
      const cost = limit.unit === "tokens" ? (estimate as TokenEstimate).total : 1;
      if (cost > limit.algorithm.burst) throw tooLarge(limit, cost, estimate);
      return {
        name: limit.name,
        subject,
        algorithm: limit.algorithm,
        cost,
        ...(limit.algorithm.kind === "concurrency" ? { leaseId: randomUUID() } : {}),
      };
    });

    let result: Awaited<ReturnType<LimiterStore["consume"]>>;
    try {
      result = await store.consume(checks);
    } catch (error) {
      storeFailed("consume", error, context.id);
      if (settings.failureMode === "open") {
        decisions.add(1, { "switchyard.rate_limit.outcome": "store_unavailable_admitted" });
        return undefined;
      }
      decisions.add(1, { "switchyard.rate_limit.outcome": "store_unavailable_refused" });
      throw new SwitchyardError(
        "SWY_ERR_LIMIT_STORE_UNAVAILABLE",
        "The gateway's rate-limit store is unavailable; try again shortly.",
        { retryAfterMs: 1_000, cause: error },
      );
    }

    const applied: AppliedLimitState[] = applicable.map(({ limit }, index) => ({
      limit,
      state: result.limits[index] ?? { allowed: false, remaining: 0, resetMs: 0, retryAfterMs: 0 },
    }));
    const headers = rateLimitHeaders(applied, formats);
    if (!result.allowed) {
      decisions.add(1, { "switchyard.rate_limit.outcome": "limited" });
      const refused = applied.filter((item) => !item.state.allowed);
      const binding = bindingLimit(refused) ?? (applied[0] as AppliedLimitState);
      const retryAfterMs = Number.isFinite(binding.state.retryAfterMs)
        ? binding.state.retryAfterMs
        : binding.limit.algorithm.windowMs;
      const position = applied.indexOf(binding);
      return {
        message: refusalMessage(
          binding,
          applicable[position]?.subject ?? "",
          checks[position]?.cost ?? 0,
          refused.length,
        ),
        retryAfterMs,
        headers,
      };
    }
    decisions.add(1, { "switchyard.rate_limit.outcome": "admitted" });
    Object.assign(context.responseHeaders, headers);
    const reservation: RateLimitReservation = {
      reservedAtMs: result.nowMs,
      checks,
      units: applicable.map(({ limit }) => limit.unit),
      estimate,
      settled: false,
    };
    setRateLimitReservation(context, reservation);
    return undefined;
  };

  const settle = async (context: RequestContext, error: SwitchyardError | undefined): Promise<void> => {
    const reservation = getRateLimitReservation(context);
    if (reservation === undefined || reservation.settled) return;
    reservation.settled = true;
    // A later rateLimit tap refused the request: nothing was served, so everything goes back.
    const refusedLater = error?.code === "SWY_ERR_RATE_LIMITED";
    const actual =
      reservation.estimate === undefined
        ? 0
        : refusedLater
          ? 0
          : actualTokens(context, reservation.estimate, error);
    const adjustments: LimitAdjustment[] = [];
    reservation.checks.forEach((check, index) => {
      const base = {
        name: check.name,
        subject: check.subject,
        algorithm: check.algorithm,
        reservedAtMs: reservation.reservedAtMs,
      };
      if (check.algorithm.kind === "concurrency") {
        adjustments.push({ ...base, delta: -check.cost, leaseId: check.leaseId as string });
      } else if (reservation.units[index] === "tokens") {
        if (actual !== check.cost) adjustments.push({ ...base, delta: actual - check.cost });
      } else if (refusedLater) {
        adjustments.push({ ...base, delta: -check.cost });
      }
    });
    if (adjustments.length === 0) return;
    try {
      await store.adjust(adjustments);
    } catch (adjustError) {
      storeFailed("adjust", adjustError, context.id);
    }
  };

  return {
    name: PLUGIN_NAME,
    store,
    apply(gateway: Gateway) {
      logger = gateway.logger;
      gateway.hooks.rateLimit.tapPromise({ name: PLUGIN_NAME, stage: settings.stage }, reserve);
      gateway.hooks.requestCompleted.tapPromise(PLUGIN_NAME, (context) => settle(context, undefined));
      gateway.hooks.requestFailed.tapPromise(PLUGIN_NAME, (context, error) => settle(context, error));
    },
  };
}

/**
 * The tokens a finished request really cost:
 * - the provider's usage, when it reported one;
 * - the reservation, when the request succeeded without usage (nothing better is known);
 * - when it failed after the provider started answering (a stream the client abandoned, or that broke):
 *   the prompt plus one token per event relayed;
 * - nothing, when it failed before the provider answered (nothing was generated).
 */
export function actualTokens(
  context: RequestContext,
  estimate: TokenEstimate,
  error: SwitchyardError | undefined,
): number {
  if (context.usage !== undefined) return context.usage.total_tokens;
  if (error === undefined) return estimate.total;
  const answered = context.attempts.some((attempt) => attempt.status !== undefined && attempt.status < 400);
  return answered ? estimate.prompt + context.streamedEvents : 0;
}

function tooLarge(limit: ResolvedLimit, cost: number, estimate: TokenEstimate | undefined): SwitchyardError {
  const detail =
    estimate === undefined
      ? `${cost} units`
      : `${cost} tokens (${estimate.prompt} prompt + ${estimate.completion} completion allowance)`;
  return new SwitchyardError(
    "SWY_ERR_LIMIT_REQUEST_TOO_LARGE",
    `The request needs ${detail}, more than the gateway's limit '${limit.name}' (${limit.description}) can ever admit. Lower max_tokens or shorten the prompt.`,
  );
}

function refusalMessage(
  binding: AppliedLimitState,
  subject: string,
  cost: number,
  refusedCount: number,
): string {
  const { limit, state } = binding;
  const left =
    limit.algorithm.kind === "concurrency"
      ? "has no free slot"
      : limit.unit === "tokens"
        ? `has ${state.remaining} tokens left and this request needs ${cost}`
        : "has no requests left";
  const others =
    refusedCount > 1 ? ` (${refusedCount - 1} more of the gateway's limits also refused it)` : "";
  const retry = Number.isFinite(state.retryAfterMs) ? formatResetDuration(state.retryAfterMs) : "later";
  const when =
    limit.algorithm.kind === "concurrency"
      ? `Retry after ${retry}.`
      : `It resets in ${formatResetDuration(state.resetMs)}; retry after ${retry}.`;
  return `Rate limit exceeded: the gateway's limit '${limit.name}' (${limit.description}, for ${subject}) ${left}${others}. ${when}`;
}
