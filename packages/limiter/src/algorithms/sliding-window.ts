import { type AlgorithmImplementation, GUARD_UNITS } from "../limit-algorithm.js";

/** Sliding-window state: the current window's start and the counts of it and of the window before. */
export interface SlidingWindowState {
  readonly windowStart: number;
  readonly current: number;
  readonly previous: number;
}

function currentCounts(
  state: SlidingWindowState | undefined,
  windowStart: number,
  windowMs: number,
): { current: number; previous: number } {
  if (state === undefined) return { current: 0, previous: 0 };
  if (state.windowStart === windowStart) return { current: state.current, previous: state.previous };
  if (state.windowStart === windowStart - windowMs) return { current: 0, previous: state.current };
  return { current: 0, previous: 0 };
}

/**
 * Sliding window (the two-counter approximation): the previous window's count is weighted by how much of
 * it still overlaps the sliding window, `estimate = previous * (windowMs - elapsed) / windowMs + current`.
 * Admits while `estimate + cost <= limit`. Smooths the boundary burst of a fixed window with two counters
 * of state; never admits more than `limit` within one aligned window.
 */
export const slidingWindow: AlgorithmImplementation<SlidingWindowState> = {
  check(state, { limit, windowMs }, nowMs, cost) {
    const windowStart = Math.floor(nowMs / windowMs) * windowMs;
    const elapsed = nowMs - windowStart;
    const { current, previous } = currentCounts(state, windowStart, windowMs);
    const estimate = (previous * (windowMs - elapsed)) / windowMs + current;
    const allowed = estimate + cost <= limit + GUARD_UNITS;
    let retryAfterMs = 0;
    if (!allowed) {
      if (cost > limit) retryAfterMs = Number.POSITIVE_INFINITY;
      else if (current + cost <= limit) {
        // Fits later in this window, once enough of the previous window has slid out.
        retryAfterMs = Math.ceil(windowMs - ((limit - current - cost) * windowMs) / previous - elapsed);
      } else {
        // Fits only in the next window, once enough of this one has slid out.
        const intoNext = Math.max(0, windowMs - ((limit - cost) * windowMs) / current);
        retryAfterMs = Math.ceil(windowMs - elapsed + intoNext);
      }
    }
    const drainedAt = (counts: { current: number; previous: number }) =>
      counts.current > 0
        ? Math.ceil(2 * windowMs - elapsed)
        : counts.previous > 0
          ? Math.ceil(windowMs - elapsed)
          : 0;
    const nextCurrent = current + cost;
    return {
      allowed,
      remaining: Math.max(0, Math.floor(limit - estimate + GUARD_UNITS)),
      resetMs: drainedAt({ current, previous }),
      remainingAfter: Math.max(0, Math.floor(limit - estimate - cost + GUARD_UNITS)),
      resetAfterMs: drainedAt({ current: nextCurrent, previous }),
      retryAfterMs,
      next: { windowStart, current: nextCurrent, previous },
      ttlMs: Math.ceil(2 * windowMs - elapsed),
    };
  },

  adjust(state, { windowMs }, nowMs, delta, reservedAtMs) {
    const windowStart = Math.floor(nowMs / windowMs) * windowMs;
    const reservedWindow = Math.floor(reservedAtMs / windowMs) * windowMs;
    let { current, previous } = currentCounts(state, windowStart, windowMs);
    // Refunds go back to the window they were taken from while it still counts; late charges land now.
    if (reservedWindow === windowStart) current = Math.max(0, current + delta);
    else if (reservedWindow === windowStart - windowMs) previous = Math.max(0, previous + delta);
    else if (delta > 0) current += delta;
    else return undefined;
    return {
      next: { windowStart, current, previous },
      ttlMs: Math.ceil(2 * windowMs - (nowMs - windowStart)),
    };
  },
};
