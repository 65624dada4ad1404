import type { CircuitState } from "./circuit-breaker.js";
import type { AttemptRecord, RequestContext } from "./context.js";
import type { SwitchyardError } from "./errors.js";
import type { RetryDecision } from "./gateway-hooks.js";
import type { Endpoint } from "./provider.js";

/**
 * Fire-and-forget notifications on `gateway.events` (eventemitter3). Listeners cannot change the flow
 * (use hooks for that) and must not throw.
 */
export interface GatewayEvents {
  /** A request passed parsing and entered the pipeline. */
  "request:start": (context: RequestContext) => void;
  /** A request was refused by overload protection before it started (503), or its client left while it queued. */
  "request:shed": (context: RequestContext, error: SwitchyardError) => void;
  /** A request finished: `error` is set when it failed. */
  "request:end": (context: RequestContext, error: SwitchyardError | undefined) => void;
  /** An upstream attempt started (`attempt.endpoint`, `attempt.target`). */
  "attempt:start": (context: RequestContext, attempt: AttemptRecord) => void;
  /**
   * An upstream attempt is over: for streams when the stream ends. `attempt.error` is set when it failed,
   * `attempt.status` is the upstream status when one came.
   */
  "attempt:end": (context: RequestContext, attempt: AttemptRecord) => void;
  /** A hedged second attempt started (the first had not answered within the hedge delay). */
  "attempt:hedged": (context: RequestContext, attempt: AttemptRecord) => void;
  /** An upstream attempt failed; `decision` says what happens next. */
  "attempt:failed": (
    context: RequestContext,
    error: SwitchyardError,
    decision: RetryDecision,
    attempt: AttemptRecord,
  ) => void;
  /** An endpoint's circuit breaker changed state. */
  "breaker:change": (endpoint: Endpoint, from: CircuitState, to: CircuitState) => void;
  /**
   * A rate-limit plugin decided about a request: one event per limit it checked (denials included). The
   * telemetry plugin counts them (`switchyard.rate_limit.decisions`); the dashboard shows them.
   */
  "limit:decision": (context: RequestContext, decision: LimitDecision) => void;
}

/** What a rate-limit plugin decided for one limit and one request (`limit:decision`). */
export interface LimitDecision {
  /** The limit's name as configured, e.g. `per-key-rpm`. Few distinct values: it is a metric label. */
  readonly limit: string;
  /** What the limit counts. */
  readonly unit: "requests" | "tokens" | "concurrency";
  /** Whether this limit admitted the request. */
  readonly allowed: boolean;
  /** What was counted against, e.g. a principal id or a team. Never a secret. */
  readonly key: string;
  /** Capacity left after this decision, when the algorithm knows it. */
  readonly remaining?: number;
  /** When denied: how long until the request would be admitted. */
  readonly retryAfterMs?: number;
}
