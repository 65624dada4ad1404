import { z } from "zod";
import type { RequestContext } from "./context.js";
import type { Gateway } from "./gateway.js";
import { HookStage, type RetryDecision, type RetryQuestion } from "./gateway-hooks.js";
import { parseOptions } from "./options.js";
import type { Plugin } from "./plugin.js";

const PLUGIN_NAME = "switchyard:retry";

const retryOptionsSchema = z.object({
  maxAttemptsPerTarget: z.number().int().min(1).max(10).default(2),
  baseDelayMs: z.number().min(0).default(250),
  maxDelayMs: z.number().min(0).default(4_000),
  maxRetryAfterMs: z.number().min(0).default(10_000),
});

/** Options of the built-in retry policy. */
export interface RetryOptions {
  /** Attempts on one target before falling back to the next. @default 2 */
  maxAttemptsPerTarget?: number;
  /** First backoff step; the wait is a random value up to `base * 2^(attempt-1)` (full jitter). @default 250 */
  baseDelayMs?: number;
  /** Cap on the backoff. @default 4000 */
  maxDelayMs?: number;
  /**
   * Longest upstream `Retry-After` worth waiting for. A longer one falls back to the next target at once
   * (or fails, when there is none). @default 10000
   */
  maxRetryAfterMs?: number;
}

/**
 * The built-in retry policy. Retryable failures are retried on the same target (another endpoint when
 * there is one) with full-jitter backoff, honouring the upstream's Retry-After; a provider that is rate
 * limited or overloaded is left for the next target at once when the route has one.
 */
export function createRetryPlugin(options: RetryOptions = {}): Plugin {
  const settings = parseOptions(retryOptionsSchema, options, "retry");
  return {
    name: PLUGIN_NAME,
    apply(gateway: Gateway) {
      gateway.hooks.shouldRetry.tap(
        { name: PLUGIN_NAME, stage: HookStage.BUILTIN },
        (question: RetryQuestion, _context: RequestContext) => decide(question, settings),
      );
    },
  };
}

function decide(question: RetryQuestion, settings: z.infer<typeof retryOptionsSchema>): RetryDecision {
  const { error, hasFallback, attemptOnTarget } = question;
  const next: RetryDecision = hasFallback ? { action: "fallback" } : { action: "fail" };
  if (!error.retryable) return { action: "fail" };
  const saturated =
    error.code === "SWY_ERR_UPSTREAM_RATE_LIMITED" || error.code === "SWY_ERR_UPSTREAM_OVERLOADED";
  if (saturated && hasFallback) return next;
  if (attemptOnTarget >= settings.maxAttemptsPerTarget) return next;
  if (error.retryAfterMs !== undefined) {
    if (error.retryAfterMs > settings.maxRetryAfterMs) return next;
    return { action: "retry", delayMs: error.retryAfterMs };
  }
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attemptOnTarget - 1));
  return { action: "retry", delayMs: Math.random() * ceiling };
}
