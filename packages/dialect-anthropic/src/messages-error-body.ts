import type { SwitchyardError } from "@switchyard/core";

/** Anthropic's error types, as its API and SDKs name them. */
export type MessagesErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "billing_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "timeout_error"
  | "overloaded_error";

/** The Messages API's error body: `{"type":"error","error":{"type","message"}}`. */
export interface MessagesErrorBody {
  type: "error";
  error: { type: MessagesErrorType; message: string };
}

/**
 * A SwitchyardError -> Anthropic's error body. The type follows the HTTP status the error is sent with, as
 * Anthropic's own statuses do (400 `invalid_request_error`, 401 `authentication_error`, 402 `billing_error`,
 * 403 `permission_error`, 404 `not_found_error`, 413 `request_too_large`, 429 `rate_limit_error`, 504
 * `timeout_error`, other 5xx `api_error`; other 4xx `invalid_request_error`), except that an overloaded upstream is `overloaded_error` whatever its status (the gateway sends
 * 503 where Anthropic sends 529). The Anthropic SDKs pick their error class from the status, so a 429 is a
 * `RateLimitError` and a 401 an `AuthenticationError` either way.
 */
export function toMessagesErrorBody(error: SwitchyardError): MessagesErrorBody {
  return { type: "error", error: { type: errorType(error), message: error.message } };
}

function errorType(error: SwitchyardError): MessagesErrorType {
  if (error.code === "SWY_ERR_UPSTREAM_OVERLOADED") return "overloaded_error";
  const status = error.status;
  if (status === 401) return "authentication_error";
  if (status === 402) return "billing_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 413) return "request_too_large";
  if (status === 429) return "rate_limit_error";
  if (status === 504) return "timeout_error";
  if (status >= 500) return "api_error";
  return "invalid_request_error";
}
