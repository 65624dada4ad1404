import { z } from "zod";
import type { RequestContext } from "./context.js";
import type { Gateway } from "./gateway.js";
import { HookStage, type RetryDecision, type RetryQuestion } from "./gateway-hooks.js";
import { parseOptions } from "./options.js";
import type { Plugin } from "./plugin.js";

const PLUGIN_NAME = "switchyard:retry";

const retryOptionsSchema = z
  .object({
    maxAttemptsPerTarget: z.number().int().min(1).max(10).default(2),
    baseDelayMs: z.number().min(0).default(250),
    maxDelayMs: z.number().min(0).default(4_000),
    maxRetryAfterMs: z.number().min(0).default(10_000),
    budget: z
      .object({
        ratio: z.number().min(0).max(10).default(0.2),
        minPerSecond: z.number().min(0).default(10),
      })
      .strict()
      .default({ ratio: 0.2, minPerSecond: 10 }),
  })
  .strict();

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
  /**
   * The retry budget: retries (on the same target) may add at most `ratio` of the request traffic, plus
   * `minPerSecond` so quiet gateways can still retry. Fallbacks to another target are not limited.
   * @default { ratio: 0.2, minPerSecond: 10 }
   */
  budget?: { ratio?: number; minPerSecond?: number };
}

/**
 * The built-in retry policy. Retryable failures are retried on the same target (another endpoint when
 * there is one) with full-jitter backoff, honouring the upstream's Retry-After, within a retry budget so
 * an outage does not multiply the traffic; a provider that is rate limited or overloaded is left for the
 * next target at once when the route has one. Everything else moves on to the next target if the route
 * allows it, or fails. `clock` is for tests.
 */
export function createRetryPlugin(options: RetryOptions = {}, clock: () => number = Date.now): Plugin {
  const settings = parseOptions(retryOptionsSchema, options, "retry");
  const budget = new RetryBudget(settings.budget.ratio, settings.budget.minPerSecond, clock);
  return {
    name: PLUGIN_NAME,
    apply(gateway: Gateway) {
      gateway.events.on("request:start", () => budget.deposit());
      gateway.hooks.shouldRetry.tap(
        { name: PLUGIN_NAME, stage: HookStage.BUILTIN },
        (question: RetryQuestion, _context: RequestContext) => decide(question, settings, budget),
      );
    },
  };
}

function decide(
  question: RetryQuestion,
  settings: z.infer<typeof retryOptionsSchema>,
  budget: RetryBudget,
): RetryDecision {
  const { error, hasFallback, attemptOnTarget } = question;
  const next: RetryDecision = hasFallback ? { action: "fallback" } : { action: "fail" };
  if (!error.retryable) return next;
  const saturated =
    error.code === "SWY_ERR_UPSTREAM_RATE_LIMITED" || error.code === "SWY_ERR_UPSTREAM_OVERLOADED";
  if (saturated && hasFallback) return next;
  if (attemptOnTarget >= settings.maxAttemptsPerTarget) return next;
  let delayMs: number;
  if (error.retryAfterMs !== undefined) {
    if (error.retryAfterMs > settings.maxRetryAfterMs) return next;
    delayMs = error.retryAfterMs;
  } else {
    const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attemptOnTarget - 1));
    delayMs = Math.random() * ceiling;
  }
  if (!budget.withdraw()) return next;
  return { action: "retry", delayMs };
}

/**
 * A token bucket of retries: each request deposits `ratio` tokens (capped), each retry withdraws one.
 * A floor of `minPerSecond` retries per second is always allowed.
 */
class RetryBudget {
  private balance = 0;
  private second = 0;
  private spentThisSecond = 0;

  constructor(
    private readonly ratio: number,
    private readonly minPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  deposit(): void {
    this.balance = Math.min(this.balance + this.ratio, 1_000);
  }

  withdraw(): boolean {
    const second = Math.floor(this.now() / 1_000);
    if (second !== this.second) {
      this.second = second;
      this.spentThisSecond = 0;
    }
    if (this.spentThisSecond < this.minPerSecond) {
      this.spentThisSecond++;
      return true;
    }
    if (this.balance >= 1) {
      this.balance -= 1;
      return true;
    }
    return false;
  }
}
