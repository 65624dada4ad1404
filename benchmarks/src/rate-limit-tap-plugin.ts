/**
 * A deliberately simple rate limiter: a fixed one-second window per principal, counted in memory. It taps
 * `hooks.rateLimit` so the benchmark pays for a real tap on that hook; the default limit is far above any
 * rate one machine can produce, so it never rejects during a run.
 */
import type { Gateway, Plugin, RateLimitRejection, RequestContext } from "@switchyard/core";

const PLUGIN_NAME = "bench:rate-limit";

/** Options of {@link createRateLimitTapPlugin}. */
export interface RateLimitTapOptions {
  /** Requests per principal per second. @default 10000000 */
  readonly requestsPerSecond?: number;
}

/** Creates the counting rate-limit plugin. */
export function createRateLimitTapPlugin(options: RateLimitTapOptions = {}): Plugin {
  const limit = options.requestsPerSecond ?? 10_000_000;
  const windows = new Map<string, { startedAt: number; count: number }>();
  return {
    name: PLUGIN_NAME,
    apply(gateway: Gateway) {
      // A synchronous tap on the async bail hook: what an in-memory limiter would do (no await per request).
      gateway.hooks.rateLimit.tap(PLUGIN_NAME, (context: RequestContext): RateLimitRejection | undefined => {
        const key = context.principal?.id ?? "anonymous";
        const now = Date.now();
        let window = windows.get(key);
        if (window === undefined || now - window.startedAt >= 1_000) {
          window = { startedAt: now, count: 0 };
          windows.set(key, window);
        }
        window.count++;
        if (window.count <= limit) return undefined;
        return {
          message: `Rate limit of ${limit} requests per second reached for '${key}'.`,
          retryAfterMs: 1_000 - (now - window.startedAt),
        };
      });
    },
  };
}
