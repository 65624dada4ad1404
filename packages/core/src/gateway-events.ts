import type { AttemptRecord, RequestContext } from "./context.js";
import type { SwitchyardError } from "./errors.js";
import type { RetryDecision } from "./gateway-hooks.js";

/**
 * Fire-and-forget notifications on `gateway.events` (eventemitter3). Listeners cannot change the flow
 * (use hooks for that) and must not throw.
 */
export interface GatewayEvents {
  /** A request passed parsing and entered the pipeline. */
  "request:start": (context: RequestContext) => void;
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
  "attempt:failed": (context: RequestContext, error: SwitchyardError, decision: RetryDecision) => void;
}
