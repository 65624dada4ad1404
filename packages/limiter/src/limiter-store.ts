import type { LimitAlgorithm, LimitState } from "./limit-algorithm.js";

/** One limit's share of a request: which counter, how it counts, and what this request costs it. */
export interface LimitCheck {
  /** The limit's name (letters, digits, `.`, `_`, `-`). */
  readonly name: string;
  /** Whose counter: e.g. `principal=key-1` or `team=research,model=gpt-4o`. Any string. */
  readonly subject: string;
  readonly algorithm: LimitAlgorithm;
  /** Units this request takes: a non-negative integer (1 for a request, the estimate for tokens). */
  readonly cost: number;
  /** The lease a `concurrency` limit takes (unique per request); unused by the other algorithms. */
  readonly leaseId?: string;
}

/** The store's verdict on all the limits of one request. */
export interface ConsumeResult {
  /** True when every limit admitted the request, and so every limit was charged; else none was. */
  readonly allowed: boolean;
  /** The store's clock at the decision, in ms since the epoch. Pass it back as `reservedAtMs`. */
  readonly nowMs: number;
  /** One state per check, in the order of the checks. */
  readonly limits: readonly LimitState[];
}

/** A correction to an earlier reservation, once the real cost is known. */
export interface LimitAdjustment {
  readonly name: string;
  readonly subject: string;
  readonly algorithm: LimitAlgorithm;
  /** Units to add (a late charge, > 0) or give back (a refund, < 0). An integer. */
  readonly delta: number;
  /** `nowMs` of the `consume` that made the reservation. */
  readonly reservedAtMs: number;
  /** For `concurrency`: the lease to release (`delta` is ignored). */
  readonly leaseId?: string;
}

/**
 * Where limit state lives. A store runs the algorithms (see `algorithms`) atomically against its state:
 * `consume` decides all the limits of one request together and charges them all or none. Every store
 * must pass the conformance suite in `@switchyard/limiter/conformance`; see
 * docs/guides/writing-a-limiter-store.md.
 */
export interface LimiterStore {
  /**
   * Checks every limit of one request and, only when all of them admit it, charges all of them
   * (all-or-nothing: a refused request takes nothing from any limit). Atomic against concurrent calls,
   * from this process and from every other process sharing the store.
   */
  consume(checks: readonly LimitCheck[]): Promise<ConsumeResult>;
  /** Settles earlier reservations: charges or refunds `delta`, releases `concurrency` leases. */
  adjust(adjustments: readonly LimitAdjustment[]): Promise<void>;
  /** Releases what the store holds (connections it opened, timers). */
  close?(): Promise<void>;
}

/** A clock in ms since the epoch. Stores take one so tests can drive time. */
export type Clock = () => number;
