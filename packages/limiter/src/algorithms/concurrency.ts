import { type AlgorithmImplementation, CONCURRENCY_RETRY_MS } from "../limit-algorithm.js";

/** Concurrency state: the leases held, by id, with the time (ms) each expires if never released. */
export type ConcurrencyState = ReadonlyMap<string, number>;

function liveLeases(state: ConcurrencyState | undefined, nowMs: number): Map<string, number> {
  const leases = new Map<string, number>();
  if (state === undefined) return leases;
  for (const [id, expiresAt] of state) if (expiresAt > nowMs) leases.set(id, expiresAt);
  return leases;
}

function earliestExpiry(leases: ReadonlyMap<string, number>): number | undefined {
  let earliest: number | undefined;
  for (const expiresAt of leases.values())
    if (earliest === undefined || expiresAt < earliest) earliest = expiresAt;
  return earliest;
}

/**
 * Concurrency: at most `limit` requests in flight. A request takes a lease when it is admitted and gives
 * it back when it ends; a lease nobody gives back (a replica died mid-request) expires after `windowMs`.
 * There is no window to wait for, so a refused request is told to retry in 1 s, or sooner when the oldest
 * lease expires sooner.
 */
export const concurrency: AlgorithmImplementation<ConcurrencyState> = {
  check(state, { limit, windowMs }, nowMs, cost, leaseId) {
    const leases = liveLeases(state, nowMs);
    const held = leases.size;
    const allowed = held + cost <= limit;
    const earliest = earliestExpiry(leases);
    const untilEarliest = earliest === undefined ? 0 : Math.ceil(earliest - nowMs);
    const next = new Map(leases);
    if (cost > 0) next.set(leaseId ?? "", nowMs + windowMs);
    return {
      allowed,
      remaining: Math.max(0, limit - held),
      resetMs: untilEarliest,
      remainingAfter: Math.max(0, limit - held - cost),
      resetAfterMs: cost > 0 && earliest === undefined ? windowMs : untilEarliest,
      retryAfterMs: allowed
        ? 0
        : cost > limit
          ? Number.POSITIVE_INFINITY
          : Math.min(CONCURRENCY_RETRY_MS, untilEarliest),
      next,
      ttlMs: windowMs,
    };
  },

  adjust(state, _algorithm, nowMs, _delta, _reservedAtMs, leaseId) {
    if (state === undefined || leaseId === undefined || !state.has(leaseId)) return undefined;
    const leases = liveLeases(state, nowMs);
    leases.delete(leaseId);
    let latest = 0;
    for (const expiresAt of leases.values()) latest = Math.max(latest, expiresAt);
    return { next: leases, ttlMs: Math.max(1, Math.ceil(latest - nowMs)) };
  },
};
