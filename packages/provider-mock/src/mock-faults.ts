import { createSeededRandom } from "./mock-model.js";
import { createErrorBody, type OpenAiErrorBody } from "./mock-openai-wire.js";

/**
 * Answer with an HTTP error status instead of a completion, after `latencyMs` like any other answer.
 */
export interface MockStatusFault {
  /** Discriminant. */
  readonly kind: "status";
  /** HTTP status, 200 to 599. */
  readonly status: number;
  /** Sets the `Retry-After` header (seconds, or an HTTP date). */
  readonly retryAfter?: number | string;
  /** Sets the `retry-after-ms` header, as OpenAI does on rate limits. */
  readonly retryAfterMs?: number;
  /**
   * Response body: a string is sent verbatim as `text/plain` (to imitate a proxy's error page), anything
   * else as JSON.
   * @default the OpenAI error body for `status`, see {@link faultErrorBody}
   */
  readonly body?: unknown;
}

/**
 * Destroy the socket part-way through the response: in a stream after `afterChunks` events (never sending
 * `[DONE]`); in a JSON response after the headers and the first half of the body.
 */
export interface MockCutStreamFault {
  /** Discriminant. */
  readonly kind: "cut-stream";
  /** Number of `data:` events sent before the cut. */
  readonly afterChunks: number;
}

/** Hold the response headers back for an extra `delayMs`, on top of `latencyMs`. */
export interface MockSlowFirstByteFault {
  /** Discriminant. */
  readonly kind: "slow-first-byte";
  /** Extra delay in milliseconds. */
  readonly delayMs: number;
}

/** Never answer; the request stays open until the client gives up or the upstream closes. */
export interface MockHangFault {
  /** Discriminant. */
  readonly kind: "hang";
}

/**
 * Send a broken response: in a stream, an event whose data is not JSON right after the first chunk (the
 * stream then carries on normally); in a JSON response, a truncated JSON body with status 200.
 */
export interface MockMalformedSseFault {
  /** Discriminant. */
  readonly kind: "malformed-sse";
}

/** Reset the connection (TCP RST) without sending any response. */
export interface MockResetFault {
  /** Discriminant. */
  readonly kind: "reset";
}

/** A failure the mock upstream can inject into one response. */
export type MockFault =
  | MockStatusFault
  | MockCutStreamFault
  | MockSlowFirstByteFault
  | MockHangFault
  | MockMalformedSseFault
  | MockResetFault;

/** A standing fault rate: a share of requests fail, chosen by a seeded sequence so runs repeat exactly. */
export interface MockFaultConfig {
  /** Share of eligible requests that get a fault, from 0 to 1. */
  readonly rate: number;
  /** Faults to pick from, uniformly. Must not be empty when `rate` is above 0. */
  readonly kinds: readonly MockFault[];
  /**
   * Seed of the sequence deciding which requests fail and how.
   * @default 1
   */
  readonly seed?: number;
}

/**
 * Checks a fault's numbers once, when it is configured, rather than failing obscurely mid-request.
 *
 * @param fault - The fault to check.
 * @throws RangeError when a number is out of range.
 */
export function assertValidFault(fault: MockFault): void {
  switch (fault.kind) {
    case "status":
      if (!Number.isInteger(fault.status) || fault.status < 200 || fault.status > 599) {
        throw new RangeError(`status fault: status must be an integer from 200 to 599, got ${fault.status}`);
      }
      if (fault.retryAfterMs !== undefined && !(fault.retryAfterMs >= 0)) {
        throw new RangeError(`status fault: retryAfterMs must be 0 or more, got ${fault.retryAfterMs}`);
      }
      return;
    case "cut-stream":
      if (!Number.isInteger(fault.afterChunks) || fault.afterChunks < 0) {
        throw new RangeError(
          `cut-stream fault: afterChunks must be an integer, 0 or more, got ${fault.afterChunks}`,
        );
      }
      return;
    case "slow-first-byte":
      if (!Number.isFinite(fault.delayMs) || fault.delayMs < 0) {
        throw new RangeError(`slow-first-byte fault: delayMs must be 0 or more, got ${fault.delayMs}`);
      }
      return;
    case "hang":
    case "malformed-sse":
    case "reset":
      return;
    default:
      throw new RangeError(`unknown fault kind: ${String((fault as { kind: unknown }).kind)}`);
  }
}

/** Hands out the fault, if any, for each eligible request. */
export interface MockFaultSource {
  /** Queues a one-shot fault; queued faults are used in order before the standing rate is consulted. */
  enqueue(fault: MockFault): void;
  /** Takes the fault for the next eligible request, or `undefined` for a normal answer. */
  next(): MockFault | undefined;
}

/**
 * Creates the fault source of one upstream.
 *
 * @param config - Standing fault rate; without it only queued faults happen.
 * @returns The source.
 * @throws RangeError when `rate` is outside 0 to 1, `kinds` is empty with a positive rate, or a kind is invalid.
 */
export function createFaultSource(config?: MockFaultConfig): MockFaultSource {
  const queue: MockFault[] = [];
  const rate = config?.rate ?? 0;
  const kinds = Object.freeze([...(config?.kinds ?? [])]);
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`faults.rate must be from 0 to 1, got ${rate}`);
  if (rate > 0 && kinds.length === 0)
    throw new RangeError("faults.kinds must not be empty when faults.rate > 0");
  for (const kind of kinds) assertValidFault(kind);
  const random = createSeededRandom(config?.seed ?? 1);
  return {
    enqueue(fault) {
      assertValidFault(fault);
      queue.push(fault);
    },
    next() {
      const queued = queue.shift();
      if (queued !== undefined) return queued;
      if (rate === 0 || random() >= rate) return undefined;
      return kinds[Math.floor(random() * kinds.length)];
    },
  };
}

/**
 * The default body of a status fault: OpenAI's error shape with the type and code OpenAI uses for that
 * status, so clients exercise their real error mapping.
 *
 * @param status - HTTP status.
 * @returns The error body.
 */
export function faultErrorBody(status: number): OpenAiErrorBody {
  switch (status) {
    case 400:
      return createErrorBody("Mock fault: the request was rejected.", "invalid_request_error");
    case 401:
      return createErrorBody(
        "Mock fault: incorrect API key provided.",
        "invalid_request_error",
        null,
        "invalid_api_key",
      );
    case 403:
      return createErrorBody("Mock fault: access denied.", "permission_error", null, "permission_denied");
    case 404:
      return createErrorBody(
        "Mock fault: the model does not exist.",
        "invalid_request_error",
        null,
        "model_not_found",
      );
    case 408:
      return createErrorBody("Mock fault: request timed out.", "timeout_error", null, "timeout");
    case 429:
      return createErrorBody(
        "Mock fault: rate limit reached for requests.",
        "requests",
        null,
        "rate_limit_exceeded",
      );
    case 500:
      return createErrorBody("Mock fault: the server had an error.", "server_error", null, "server_error");
    case 502:
      return createErrorBody("Mock fault: bad gateway.", "server_error", null, "bad_gateway");
    case 503:
      return createErrorBody(
        "Mock fault: the engine is currently overloaded, please try again later.",
        "server_error",
        null,
        "overloaded",
      );
    case 504:
      return createErrorBody("Mock fault: gateway timeout.", "server_error", null, "timeout");
    default:
      return status >= 500
        ? createErrorBody(`Mock fault: status ${status}.`, "server_error", null, "server_error")
        : createErrorBody(`Mock fault: status ${status}.`, "invalid_request_error");
  }
}
