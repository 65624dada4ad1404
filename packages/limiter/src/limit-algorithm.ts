/**
 * The limiter algorithms, as pure functions of (state, time, cost). Stores keep the state and call these
 * (the memory store) or mirror them in their own language (the Redis store's Lua); the store conformance
 * suite holds every store to the same numbers.
 */

/** The algorithms a limit can use. See docs/guides/rate-limiting.md for when to choose which. */
export type AlgorithmKind = "fixed-window" | "sliding-window" | "token-bucket" | "gcra" | "concurrency";

/** Every algorithm kind, in a stable order (stores may number them by index). */
export const algorithmKinds: readonly AlgorithmKind[] = Object.freeze([
  "fixed-window",
  "sliding-window",
  "token-bucket",
  "gcra",
  "concurrency",
]);

/** How one limit counts: its algorithm and its numbers. */
export interface LimitAlgorithm {
  readonly kind: AlgorithmKind;
  /** Units admitted per window; for `concurrency`, units in flight at once. A positive integer. */
  readonly limit: number;
  /**
   * Window length in ms (the refill period of `token-bucket` and `gcra`). For `concurrency`, how long a
   * lease lives when it is never released (a replica that crashed mid-request). A positive integer.
   */
  readonly windowMs: number;
  /** Capacity of `token-bucket` and `gcra` (the largest burst); equal to `limit` for the others. */
  readonly burst: number;
}

/** What one limit says about one request. */
export interface LimitState {
  /** Whether this limit alone admits the request's cost. */
  readonly allowed: boolean;
  /** Units left: after the request when the whole request was admitted, else as they are now. */
  readonly remaining: number;
  /** ms until the limit is fully replenished (the window resets, the bucket is full). */
  readonly resetMs: number;
  /** 0 when allowed; else ms until this cost would be admitted; `Infinity` when it never can be. */
  readonly retryAfterMs: number;
}

/** What an algorithm decides for one limit: the verdict, both views of the state, and the next state. */
export interface AlgorithmDecision<State> {
  readonly allowed: boolean;
  /** Remaining and reset as they are now (reported when the request is not admitted). */
  readonly remaining: number;
  readonly resetMs: number;
  /** Remaining and reset once this cost is taken (reported when the request is admitted). */
  readonly remainingAfter: number;
  readonly resetAfterMs: number;
  readonly retryAfterMs: number;
  /** The state with this cost taken; stored only when every limit of the request admits. */
  readonly next: State;
  /** How long `next` must be kept; after that it is equivalent to no state at all. */
  readonly ttlMs: number;
}

/** A state change from `adjust`, or `undefined` when there is nothing to change. */
export interface AlgorithmAdjustment<State> {
  readonly next: State;
  readonly ttlMs: number;
}

/** One algorithm: a decision and a settlement, both pure. */
export interface AlgorithmImplementation<State> {
  /**
   * Decides whether `cost` units fit at `nowMs`. `state` is `undefined` when nothing was stored (or it
   * expired). `leaseId` names the lease a `concurrency` limit takes.
   */
  check(
    state: State | undefined,
    algorithm: LimitAlgorithm,
    nowMs: number,
    cost: number,
    leaseId: string | undefined,
  ): AlgorithmDecision<State>;
  /**
   * Settles a reservation made at `reservedAtMs`: `delta` > 0 charges more, < 0 refunds; a `concurrency`
   * limit releases the lease `leaseId` instead.
   */
  adjust(
    state: State | undefined,
    algorithm: LimitAlgorithm,
    nowMs: number,
    delta: number,
    reservedAtMs: number,
    leaseId: string | undefined,
  ): AlgorithmAdjustment<State> | undefined;
}

/**
 * Rounding guards. The continuous algorithms (sliding window, token bucket, GCRA) work in floating point on
 * timestamps near 2^40 ms, where one step of a double is about 0.0002 ms. Without a guard, a request that
 * fits exactly (the 4th of a burst of 4) can be refused over that last bit. The guards are far below any
 * clock's resolution (1 µs, one millionth of a unit), so they never admit a whole unit early.
 */
export const GUARD_MS = 1e-3;
/** See {@link GUARD_MS}. */
export const GUARD_UNITS = 1e-6;

/** Retry hint of a full `concurrency` limit when no lease expires sooner: leases end when requests do. */
export const CONCURRENCY_RETRY_MS = 1_000;
