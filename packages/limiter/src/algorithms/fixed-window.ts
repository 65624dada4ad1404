import type { AlgorithmImplementation } from "../limit-algorithm.js";

/** Fixed-window state: the window's start (ms, aligned to the epoch) and the units counted in it. */
export interface FixedWindowState {
  readonly windowStart: number;
  readonly count: number;
}

/**
 * Fixed window: windows aligned to the epoch (`floor(now / windowMs)`), a counter per window. Admits while
 * `count + cost <= limit`; a refused request may retry when the window ends. Cheapest and easiest to
 * explain; allows up to twice the limit across a window boundary.
 */
export const fixedWindow: AlgorithmImplementation<FixedWindowState> = {
  check(state, { limit, windowMs }, nowMs, cost) {
    const windowStart = Math.floor(nowMs / windowMs) * windowMs;
    const count = state !== undefined && state.windowStart === windowStart ? state.count : 0;
    const resetMs = Math.ceil(windowStart + windowMs - nowMs);
    const allowed = count + cost <= limit;
    return {
      allowed,
      remaining: Math.max(0, limit - count),
      resetMs,
      remainingAfter: Math.max(0, limit - count - cost),
      resetAfterMs: resetMs,
      retryAfterMs: allowed ? 0 : cost > limit ? Number.POSITIVE_INFINITY : resetMs,
      next: { windowStart, count: count + cost },
      ttlMs: resetMs,
    };
  },

  adjust(state, { windowMs }, nowMs, delta, reservedAtMs) {
    const windowStart = Math.floor(nowMs / windowMs) * windowMs;
    const reservedWindow = Math.floor(reservedAtMs / windowMs) * windowMs;
    const count = state !== undefined && state.windowStart === windowStart ? state.count : 0;
    let next: number;
    // A refund goes back to the window it was taken from, if that window is still the current one; a
    // window that has ended has nothing to give back. A late charge lands in the current window.
    if (reservedWindow === windowStart) next = Math.max(0, count + delta);
    else if (delta > 0) next = count + delta;
    else return undefined;
    return { next: { windowStart, count: next }, ttlMs: Math.ceil(windowStart + windowMs - nowMs) };
  },
};
