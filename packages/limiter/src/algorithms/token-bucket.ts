import { type AlgorithmImplementation, GUARD_UNITS, type LimitAlgorithm } from "../limit-algorithm.js";

/** Token-bucket state: the tokens in the bucket (negative while a late charge is being paid off) and when. */
export interface TokenBucketState {
  readonly tokens: number;
  readonly updatedAt: number;
}

function level(
  state: TokenBucketState | undefined,
  { limit, windowMs, burst }: LimitAlgorithm,
  nowMs: number,
) {
  if (state === undefined) return { tokens: burst, updatedAt: nowMs };
  const elapsed = Math.max(0, nowMs - state.updatedAt);
  return {
    tokens: Math.min(burst, state.tokens + (elapsed * limit) / windowMs),
    // A clock that stepped back must not refill the same interval twice.
    updatedAt: Math.max(nowMs, state.updatedAt),
  };
}

/** ms until a bucket holding `tokens` is full again. */
function timeToFull(tokens: number, { limit, windowMs, burst }: LimitAlgorithm): number {
  return Math.max(0, Math.ceil(((burst - tokens) * windowMs) / limit));
}

/**
 * Token bucket: a bucket of `burst` tokens refilled continuously at `limit` per `windowMs`; a request takes
 * `cost` tokens when it finds them. Allows bursts up to `burst`, then a steady rate.
 */
export const tokenBucket: AlgorithmImplementation<TokenBucketState> = {
  check(state, algorithm, nowMs, cost) {
    const { limit, windowMs, burst } = algorithm;
    const { tokens, updatedAt } = level(state, algorithm, nowMs);
    const allowed = tokens + GUARD_UNITS >= cost;
    const nextTokens = tokens - cost;
    return {
      allowed,
      remaining: Math.max(0, Math.floor(tokens + GUARD_UNITS)),
      resetMs: timeToFull(tokens, algorithm),
      remainingAfter: Math.max(0, Math.floor(nextTokens + GUARD_UNITS)),
      resetAfterMs: timeToFull(nextTokens, algorithm),
      retryAfterMs: allowed
        ? 0
        : cost > burst
          ? Number.POSITIVE_INFINITY
          : Math.ceil(((cost - tokens) * windowMs) / limit),
      next: { tokens: nextTokens, updatedAt },
      ttlMs: Math.max(1, timeToFull(nextTokens, algorithm)),
    };
  },

  adjust(state, algorithm, nowMs, delta) {
    // A missing bucket is a full one: a refund cannot fill it further.
    if (state === undefined && delta <= 0) return undefined;
    const { tokens, updatedAt } = level(state, algorithm, nowMs);
    const next = Math.min(algorithm.burst, tokens - delta);
    return { next: { tokens: next, updatedAt }, ttlMs: Math.max(1, timeToFull(next, algorithm)) };
  },
};
