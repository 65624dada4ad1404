import {
  type ErrorCode,
  parseRetryAfter,
  SwitchyardError,
  type UpstreamErrorResponse,
  upstreamStatusError,
} from "@switchyard/core";

/** What an Anthropic error body says: `{"type":"error","error":{"type","message"},"request_id"}`. */
interface ErrorFacts {
  readonly type: string | undefined;
  readonly message: string | undefined;
  readonly requestId: string | undefined;
}

/**
 * Maps an Anthropic error answer (non-2xx) with the shared status mapping: 429 keeps its `Retry-After`, 529
 * (`overloaded_error`) becomes `SWY_ERR_UPSTREAM_OVERLOADED`, 401/403 never echo the upstream text. The
 * message keeps Anthropic's request id, because the gateway's error answer carries no upstream headers and
 * that id is what Anthropic support asks for.
 */
export function parseAnthropicError(response: UpstreamErrorResponse, providerName: string): SwitchyardError {
  const facts = readErrorBody(response.body);
  const requestId = facts.requestId ?? header(response.headers, "request-id");
  const message = withRequestId(facts.message, requestId);
  if (facts.type === "overloaded_error" && response.status !== 529 && response.status !== 503) {
    // An overload reported under another status is still an overload: retry elsewhere, not a client error.
    return new SwitchyardError("SWY_ERR_UPSTREAM_OVERLOADED", `${providerName}: ${message ?? "Overloaded"}`, {
      upstreamStatus: response.status,
      retryAfterMs: parseRetryAfter(response.headers),
    });
  }
  return upstreamStatusError(response.status, message, response.headers, providerName);
}

// Anthropic's error types and the registry code each one means when it arrives inside a stream.
const streamErrorCodes: Readonly<Record<string, ErrorCode>> = {
  invalid_request_error: "SWY_ERR_UPSTREAM_BAD_REQUEST",
  request_too_large: "SWY_ERR_UPSTREAM_BAD_REQUEST",
  authentication_error: "SWY_ERR_UPSTREAM_AUTH",
  permission_error: "SWY_ERR_UPSTREAM_AUTH",
  not_found_error: "SWY_ERR_UPSTREAM_NOT_FOUND",
  rate_limit_error: "SWY_ERR_UPSTREAM_RATE_LIMITED",
  overloaded_error: "SWY_ERR_UPSTREAM_OVERLOADED",
  api_error: "SWY_ERR_UPSTREAM_SERVER",
};

/**
 * An `error` event inside a stream (`event: error`, e.g. `overloaded_error` after the 200 was sent) -> the
 * SwitchyardError the gateway turns into the stream's closing error event.
 */
export function anthropicStreamError(data: unknown, providerName: string): SwitchyardError {
  const error = typeof data === "object" && data !== null ? (data as { error?: unknown }).error : undefined;
  const type = readString(error, "type");
  const code = (type !== undefined ? streamErrorCodes[type] : undefined) ?? "SWY_ERR_UPSTREAM_SERVER";
  const message =
    code === "SWY_ERR_UPSTREAM_AUTH"
      ? "the provider refused the gateway's credentials."
      : (readString(error, "message") ?? `${type ?? "error"} mid-stream`);
  return new SwitchyardError(code, `${providerName}: ${message}`);
}

function readErrorBody(body: string): ErrorFacts {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { type: undefined, message: undefined, requestId: undefined };
  }
  if (typeof parsed !== "object" || parsed === null) {
    return { type: undefined, message: undefined, requestId: undefined };
  }
  const error = (parsed as { error?: unknown }).error;
  return {
    type: readString(error, "type"),
    // A proxy in front of the API may answer `{"error":"..."}` or `{"message":"..."}`.
    message:
      typeof error === "string" ? error : (readString(error, "message") ?? readString(parsed, "message")),
    requestId: readString(parsed, "request_id"),
  };
}

function withRequestId(message: string | undefined, requestId: string | undefined): string | undefined {
  if (message === undefined || message.trim() === "") return message;
  // Only an id that looks like one (`req_011CS...`) is quoted: the body is upstream text.
  return requestId === undefined || !/^[\w-]{1,128}$/.test(requestId)
    ? message
    : `${message} (request-id: ${requestId})`;
}

function readString(value: unknown, key: string): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === "string" ? field : undefined;
}

function header(headers: UpstreamErrorResponse["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
