import type { RequestContext } from "@switchyard/core";
import type { LimitUnit } from "./limit-options.js";
import type { LimitCheck } from "./limiter-store.js";
import type { TokenEstimate } from "./token-estimate.js";

/** What the rate-limit plugin reserved for an admitted request; settled when the request ends. */
export interface RateLimitReservation {
  /** The store's clock when the reservation was made (ms since the epoch). */
  readonly reservedAtMs: number;
  /** The limits charged, with what each took. */
  readonly checks: readonly LimitCheck[];
  /** The unit of each check. */
  readonly units: readonly LimitUnit[];
  /** The token estimate reserved, when a token limit applied. */
  readonly estimate: TokenEstimate | undefined;
  /** Whether the reservation has been settled (charged to the real usage, leases released). */
  settled: boolean;
}

// A global symbol, so the reservation is found even when two copies of this package are installed.
const kReservation = Symbol.for("switchyard.rate-limit.reservation");

/** The reservation the rate-limit plugin made for `context`, if it admitted it (and a store answered). */
export function getRateLimitReservation(context: RequestContext): RateLimitReservation | undefined {
  return context.locals[kReservation] as RateLimitReservation | undefined;
}

/** Records a reservation on the context. */
export function setRateLimitReservation(context: RequestContext, reservation: RateLimitReservation): void {
  context.locals[kReservation] = reservation;
}
