import { type ErrorCode, errorCodes } from "./error-codes.js";

// A global symbol, not `instanceof`, so errors are recognised even when two copies of core are installed.
const kSwitchyardError = Symbol.for("switchyard.error");

/** The OpenAI error body every failure is written as. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Extra facts an error may carry. */
export interface SwitchyardErrorOptions {
  /** The request field at fault, e.g. `messages[0].content`. */
  param?: string;
  /** Override the registry's status (e.g. to pass an upstream 422 through as 422). */
  status?: number;
  /** Override the registry's `retryable`. */
  retryable?: boolean;
  /** How long the client (or the retry loop) should wait before trying again. */
  retryAfterMs?: number;
  /** The upstream HTTP status this error was mapped from, if any. */
  upstreamStatus?: number;
  /** Headers to send with the error response (e.g. rate-limit headers). */
  headers?: Record<string, string>;
  /** The underlying error, kept for logs; never sent to the client. */
  cause?: unknown;
}

/**
 * The one error class of Switchyard: a stable `code` from the registry, the HTTP `status`, whether it is
 * `retryable`, and the OpenAI error body it is sent as.
 */
export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly param: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly upstreamStatus: number | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly [kSwitchyardError] = true;

  constructor(code: ErrorCode, message: string, options: SwitchyardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const info = errorCodes[code];
    this.name = "SwitchyardError";
    this.code = code;
    this.status = options.status ?? info.status;
    this.retryable = options.retryable ?? info.retryable;
    this.param = options.param;
    this.retryAfterMs = options.retryAfterMs;
    this.upstreamStatus = options.upstreamStatus;
    this.headers = options.headers;
  }

  /** True for any Switchyard error, whichever copy of the package created it. */
  static is(value: unknown): value is SwitchyardError {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[kSwitchyardError] === true
    );
  }

  /** The OpenAI-shaped body for the wire. */
  toBody(): OpenAIErrorBody {
    const info = errorCodes[this.code];
    return { error: { message: this.message, type: info.type, param: this.param ?? null, code: info.code } };
  }
}

/**
 * Turns anything thrown into a SwitchyardError. Unknown errors become `SWY_ERR_INTERNAL` with a generic
 * message: their text may hold secrets or internals, so it is kept as `cause` for the logs only.
 */
export function toSwitchyardError(error: unknown): SwitchyardError {
  if (SwitchyardError.is(error)) return error;
  return new SwitchyardError("SWY_ERR_INTERNAL", "The gateway failed to handle the request.", {
    cause: error,
  });
}
