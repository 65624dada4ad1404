/**
 * The registry of every error Switchyard raises. Codes are stable: clients and dashboards may match on
 * them. Each entry gives the HTTP status, the OpenAI error `type` and `code` written on the wire, and
 * whether the failure is worth retrying on another attempt. `docs/reference/errors.md` documents every
 * code; a test fails when one is missing there.
 */
export const errorCodes = {
  SWY_ERR_HTTP_NOT_FOUND: {
    status: 404,
    type: "invalid_request_error",
    code: "not_found",
    retryable: false,
    description: "No route matches the request's method and path.",
  },
  SWY_ERR_HTTP_METHOD_NOT_ALLOWED: {
    status: 405,
    type: "invalid_request_error",
    code: "method_not_allowed",
    retryable: false,
    description: "The path exists but not for this HTTP method.",
  },
  SWY_ERR_HTTP_BODY_TOO_LARGE: {
    status: 413,
    type: "invalid_request_error",
    code: "request_too_large",
    retryable: false,
    description: "The request body is over the configured limit; it was not read to the end.",
  },
  SWY_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    type: "invalid_request_error",
    code: "unsupported_media_type",
    retryable: false,
    description: "The request body is not `application/json`.",
  },
  SWY_ERR_HTTP_INVALID_JSON: {
    status: 400,
    type: "invalid_request_error",
    code: "invalid_json",
    retryable: false,
    description: "The request body is not valid JSON.",
  },
  SWY_ERR_REQUEST_INVALID: {
    status: 400,
    type: "invalid_request_error",
    code: "invalid_request",
    retryable: false,
    description: "The request body does not match the API's schema; `param` names the field.",
  },
  SWY_ERR_AUTH_MISSING: {
    status: 401,
    type: "authentication_error",
    code: "missing_api_key",
    retryable: false,
    description: "The gateway requires an API key and the request carried none.",
  },
  SWY_ERR_AUTH_INVALID: {
    status: 401,
    type: "authentication_error",
    code: "invalid_api_key",
    retryable: false,
    description: "The API key is not one the gateway knows (or it was revoked).",
  },
  SWY_ERR_AUTH_FORBIDDEN: {
    status: 403,
    type: "permission_error",
    code: "forbidden",
    retryable: false,
    description: "The caller is known but may not do this.",
  },
  SWY_ERR_AUTH_MODEL_NOT_ALLOWED: {
    status: 403,
    type: "permission_error",
    code: "model_not_allowed",
    retryable: false,
    description: "The API key may not use the requested model (it is not in the key's allowed models).",
  },
  SWY_ERR_AUTH_STORE_UNAVAILABLE: {
    status: 503,
    type: "server_error",
    code: "auth_store_unavailable",
    retryable: true,
    description: "The key store (e.g. Redis) could not be reached, so the API key could not be checked.",
  },
  SWY_ERR_BUDGET_EXHAUSTED: {
    status: 402,
    type: "insufficient_quota",
    code: "budget_exceeded",
    retryable: false,
    description:
      "A spend budget of the API key or its team cannot cover the request's worst-case cost; the message says when it resets.",
  },
  SWY_ERR_RATE_LIMITED: {
    status: 429,
    type: "rate_limit_error",
    code: "rate_limit_exceeded",
    retryable: false,
    description: "A limit of the gateway's own was reached; `Retry-After` says when to come back.",
  },
  SWY_ERR_LIMIT_REQUEST_TOO_LARGE: {
    status: 413,
    type: "invalid_request_error",
    code: "rate_limit_request_too_large",
    retryable: false,
    description:
      "The request alone needs more than a limit's whole capacity (e.g. prompt + max_tokens over a tokens-per-minute limit); retrying cannot help.",
  },
  SWY_ERR_LIMIT_STORE_UNAVAILABLE: {
    status: 503,
    type: "server_error",
    code: "rate_limit_store_unavailable",
    retryable: true,
    description:
      "The rate-limit store (e.g. Redis) could not be reached and the limiter is set to fail closed.",
  },
  SWY_ERR_POLICY_DENIED: {
    status: 400,
    type: "invalid_request_error",
    code: "content_policy_violation",
    retryable: false,
    description:
      "A guardrail (policy webhook, denylist) refused the request or the answer under the gateway's content policy.",
  },
  SWY_ERR_POLICY_UNAVAILABLE: {
    status: 503,
    type: "server_error",
    code: "policy_service_unavailable",
    // Not retried by the gateway: the upstream is not at fault, and retrying would count against its health.
    retryable: false,
    description:
      "An external policy service (authentication or guardrail webhook) failed or timed out and the plugin is set to fail closed.",
  },
  SWY_ERR_ROUTE_MODEL_NOT_FOUND: {
    status: 404,
    type: "invalid_request_error",
    code: "model_not_found",
    retryable: false,
    description: "No provider, alias or route serves the requested model.",
  },
  SWY_ERR_ROUTE_OPERATION_UNSUPPORTED: {
    status: 400,
    type: "invalid_request_error",
    code: "operation_not_supported",
    retryable: false,
    description: "The model exists but its provider does not serve this operation (e.g. embeddings).",
  },
  SWY_ERR_ROUTE_NO_ENDPOINT: {
    status: 503,
    type: "server_error",
    code: "no_healthy_endpoint",
    retryable: true,
    description: "Every endpoint of the route's targets is unavailable.",
  },
  SWY_ERR_UPSTREAM_CONNECT: {
    status: 502,
    type: "server_error",
    code: "upstream_unreachable",
    retryable: true,
    description: "The gateway could not connect to the provider (refused, reset, DNS).",
  },
  SWY_ERR_UPSTREAM_TIMEOUT_CONNECT: {
    status: 504,
    type: "server_error",
    code: "upstream_connect_timeout",
    retryable: true,
    description: "Connecting to the provider took longer than `timeouts.connectMs`.",
  },
  SWY_ERR_UPSTREAM_TIMEOUT_FIRST_BYTE: {
    status: 504,
    type: "server_error",
    code: "upstream_first_byte_timeout",
    retryable: true,
    description: "The provider sent no response headers within `timeouts.firstByteMs`.",
  },
  SWY_ERR_UPSTREAM_TIMEOUT_FIRST_TOKEN: {
    status: 504,
    type: "server_error",
    code: "upstream_first_token_timeout",
    retryable: true,
    description: "A stream's first event did not arrive within `timeouts.firstTokenMs` of its headers.",
  },
  SWY_ERR_UPSTREAM_TIMEOUT_IDLE: {
    status: 504,
    type: "server_error",
    code: "upstream_idle_timeout",
    retryable: true,
    description: "The provider went silent mid-response for longer than `timeouts.idleMs`.",
  },
  SWY_ERR_UPSTREAM_TIMEOUT_TOTAL: {
    status: 504,
    type: "server_error",
    code: "upstream_total_timeout",
    retryable: true,
    description: "The whole upstream exchange took longer than `timeouts.totalMs`.",
  },
  SWY_ERR_UPSTREAM_AUTH: {
    status: 502,
    type: "server_error",
    code: "upstream_authentication_failed",
    retryable: false,
    description:
      "The provider refused the gateway's own credentials (upstream 401/403). A gateway misconfiguration, so not a 401 to the client.",
  },
  SWY_ERR_UPSTREAM_BAD_REQUEST: {
    status: 400,
    type: "invalid_request_error",
    code: "upstream_invalid_request",
    retryable: false,
    description: "The provider rejected the request as invalid (upstream 400/422); its message is kept.",
  },
  SWY_ERR_UPSTREAM_CONTENT_FILTERED: {
    status: 400,
    type: "invalid_request_error",
    code: "content_filter",
    retryable: false,
    description:
      "The provider's content filter blocked the prompt; its message and flagged categories are kept.",
  },
  SWY_ERR_UPSTREAM_NOT_FOUND: {
    status: 404,
    type: "invalid_request_error",
    code: "model_not_found",
    retryable: false,
    description: "The provider does not know the model or resource (upstream 404).",
  },
  SWY_ERR_UPSTREAM_TIMEOUT: {
    status: 504,
    type: "server_error",
    code: "upstream_timeout",
    retryable: true,
    description: "The provider answered 408 Request Timeout.",
  },
  SWY_ERR_UPSTREAM_CONFLICT: {
    status: 409,
    type: "invalid_request_error",
    code: "upstream_conflict",
    retryable: true,
    description: "The provider answered 409 Conflict (retried, as the OpenAI SDKs do).",
  },
  SWY_ERR_UPSTREAM_RATE_LIMITED: {
    status: 429,
    type: "rate_limit_error",
    code: "upstream_rate_limited",
    retryable: true,
    description: "The provider's own rate limit was hit; its `Retry-After` is honoured and passed on.",
  },
  SWY_ERR_UPSTREAM_OVERLOADED: {
    status: 503,
    type: "server_error",
    code: "upstream_overloaded",
    retryable: true,
    description: "The provider is overloaded (upstream 503 or 529).",
  },
  SWY_ERR_UPSTREAM_SERVER: {
    status: 502,
    type: "server_error",
    code: "upstream_error",
    retryable: true,
    description: "The provider failed with a 5xx status.",
  },
  SWY_ERR_UPSTREAM_INVALID_RESPONSE: {
    status: 502,
    type: "server_error",
    code: "upstream_invalid_response",
    retryable: true,
    description: "The provider's answer could not be parsed (bad JSON, malformed SSE, wrong shape).",
  },
  SWY_ERR_UPSTREAM_STREAM_CUT: {
    status: 502,
    type: "server_error",
    code: "upstream_stream_interrupted",
    retryable: false,
    description:
      "The provider's stream ended before its end marker; sent to the client as a stream error event.",
  },
  SWY_ERR_CLIENT_CLOSED: {
    status: 499,
    type: "invalid_request_error",
    code: "client_closed_request",
    retryable: false,
    description: "The client went away before the answer was complete; the upstream request was aborted.",
  },
  SWY_ERR_GATEWAY_OVERLOADED: {
    status: 503,
    type: "server_error",
    code: "overloaded",
    retryable: true,
    description:
      "The gateway is at its `overload.maxInFlight` cap and its wait queue is full (or the wait timed out); sent with `Retry-After`.",
  },
  SWY_ERR_GATEWAY_SHUTTING_DOWN: {
    status: 503,
    type: "server_error",
    code: "shutting_down",
    retryable: true,
    description: "The gateway is draining for shutdown and takes no new requests.",
  },
  SWY_ERR_PLUGIN_LATE_TAP: {
    status: 500,
    type: "server_error",
    code: "internal_error",
    retryable: false,
    description: "A plugin tapped a hook after the gateway started; taps are only allowed at start-up.",
  },
  SWY_ERR_PLUGIN_INVALID: {
    status: 500,
    type: "server_error",
    code: "internal_error",
    retryable: false,
    description:
      "A plugin or provider given to the gateway is malformed (no name, no `apply`, duplicate name).",
  },
  SWY_ERR_CONFIG_INVALID: {
    status: 500,
    type: "server_error",
    code: "invalid_configuration",
    retryable: false,
    description: "Gateway options or the config file failed validation; the message names the path.",
  },
  SWY_ERR_INTERNAL: {
    status: 500,
    type: "server_error",
    code: "internal_error",
    retryable: false,
    description: "An unexpected failure inside the gateway or a plugin; details are logged, not sent.",
  },
} as const satisfies Record<string, ErrorCodeInfo>;

/** What the registry records for one error code. */
export interface ErrorCodeInfo {
  /** HTTP status sent to the client. */
  readonly status: number;
  /** OpenAI error `type` written on the wire. */
  readonly type: string;
  /** OpenAI error `code` written on the wire. */
  readonly code: string;
  /** Whether another attempt (same or another target) may succeed. */
  readonly retryable: boolean;
  /** One line for the docs. */
  readonly description: string;
}

/** Every stable Switchyard error code. */
export type ErrorCode = keyof typeof errorCodes;
