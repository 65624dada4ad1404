import { type AlgorithmImplementation, GUARD_MS } from "../limit-algorithm.js";

/** GCRA state: the theoretical arrival time (ms) of the next unit at the steady rate. */
export interface GcraState {
  readonly tat: number;
}

/**
 * GCRA, the generic cell rate algorithm: the token bucket's arithmetic kept as one timestamp. Each unit
 * pushes the theoretical arrival time (TAT) on by `windowMs / limit`; a request is admitted while the new
 * TAT is at most `burst` units' worth of time ahead of now. One number of state, exact retry times.
 */
export const gcra: AlgorithmImplementation<GcraState> = {
  check(state, { limit, windowMs, burst }, nowMs, cost) {
    const tolerance = (burst * windowMs) / limit;
    const tat = state === undefined ? nowMs : Math.max(state.tat, nowMs);
    const nextTat = tat + (cost * windowMs) / limit;
    const allowed = nextTat - nowMs <= tolerance + GUARD_MS;
    const unitsLeft = (at: number) =>
      Math.min(burst, Math.max(0, Math.floor(((tolerance - (at - nowMs) + GUARD_MS) * limit) / windowMs)));
    return {
      allowed,
      remaining: unitsLeft(tat),
      resetMs: Math.ceil(tat - nowMs),
      remainingAfter: unitsLeft(nextTat),
      resetAfterMs: Math.ceil(nextTat - nowMs),
      retryAfterMs: allowed
        ? 0
        : cost > burst
          ? Number.POSITIVE_INFINITY
          : Math.ceil(nextTat - tolerance - nowMs),
      next: { tat: nextTat },
      ttlMs: Math.max(1, Math.ceil(nextTat - nowMs)),
    };
  },

  adjust(state, { limit, windowMs }, nowMs, delta) {
    // A missing TAT is an idle limit: a refund cannot make it idler.
    if (state === undefined && delta <= 0) return undefined;
    const tat = state === undefined ? nowMs : Math.max(state.tat, nowMs);
    const next = Math.max(nowMs, tat + (delta * windowMs) / limit);
    return { next: { tat: next }, ttlMs: Math.max(1, Math.ceil(next - nowMs)) };
  },
};
