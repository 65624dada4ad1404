import type { SwitchyardError } from "./errors.js";

/** The kinds of upstream failure routes choose fallback behaviour by. */
export type FailureClass =
  | "rate_limit"
  | "overloaded"
  | "server_error"
  | "timeout"
  | "connection"
  | "content_filter"
  | "auth"
  | "bad_request";

const byCode: Readonly<Record<string, FailureClass>> = {
  SWY_ERR_UPSTREAM_RATE_LIMITED: "rate_limit",
  SWY_ERR_UPSTREAM_OVERLOADED: "overloaded",
  SWY_ERR_UPSTREAM_SERVER: "server_error",
  SWY_ERR_UPSTREAM_INVALID_RESPONSE: "server_error",
  SWY_ERR_UPSTREAM_STREAM_CUT: "server_error",
  SWY_ERR_UPSTREAM_CONFLICT: "server_error",
  SWY_ERR_UPSTREAM_TIMEOUT: "timeout",
  SWY_ERR_UPSTREAM_TIMEOUT_CONNECT: "timeout",
  SWY_ERR_UPSTREAM_TIMEOUT_FIRST_BYTE: "timeout",
  SWY_ERR_UPSTREAM_TIMEOUT_FIRST_TOKEN: "timeout",
  SWY_ERR_UPSTREAM_TIMEOUT_IDLE: "timeout",
  SWY_ERR_UPSTREAM_TIMEOUT_TOTAL: "timeout",
  SWY_ERR_UPSTREAM_CONNECT: "connection",
  SWY_ERR_ROUTE_NO_ENDPOINT: "connection",
  SWY_ERR_UPSTREAM_CONTENT_FILTERED: "content_filter",
  SWY_ERR_UPSTREAM_AUTH: "auth",
  SWY_ERR_UPSTREAM_BAD_REQUEST: "bad_request",
  SWY_ERR_UPSTREAM_NOT_FOUND: "bad_request",
};

/** The failure class of an error, or undefined when it is not an upstream failure (e.g. the client left). */
export function failureClassOf(error: SwitchyardError): FailureClass | undefined {
  return byCode[error.code];
}
