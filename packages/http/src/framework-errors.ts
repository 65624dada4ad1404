import { type ErrorCode, type GatewayHttpResponse, SwitchyardError } from "@switchyard/core";
import { type HeaderRecord, requestIdOf } from "./request-id.js";

/** What Express (http-errors, body-parser) and Fastify errors carry that says how to answer. */
interface HttpErrorLike {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  type?: unknown;
  code?: unknown;
  message?: unknown;
  headers?: unknown;
}

// body-parser's `type` and Fastify's `code` for failures the gateway has a code of its own for.
const codesByKind: Record<string, ErrorCode> = {
  "entity.too.large": "SWY_ERR_HTTP_BODY_TOO_LARGE",
  "entity.parse.failed": "SWY_ERR_HTTP_INVALID_JSON",
  "entity.verify.failed": "SWY_ERR_HTTP_INVALID_JSON",
  "encoding.unsupported": "SWY_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE",
  "charset.unsupported": "SWY_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE",
  "request.aborted": "SWY_ERR_CLIENT_CLOSED",
  FST_ERR_CTP_BODY_TOO_LARGE: "SWY_ERR_HTTP_BODY_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "SWY_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "SWY_ERR_HTTP_INVALID_JSON",
  FST_ERR_CTP_EMPTY_JSON_BODY: "SWY_ERR_HTTP_INVALID_JSON",
  FST_ERR_CTP_INVALID_JSON_BODY: "SWY_ERR_HTTP_INVALID_JSON",
};

const codesByStatus: Record<number, ErrorCode> = {
  400: "SWY_ERR_REQUEST_INVALID",
  401: "SWY_ERR_AUTH_INVALID",
  403: "SWY_ERR_AUTH_FORBIDDEN",
  404: "SWY_ERR_HTTP_NOT_FOUND",
  405: "SWY_ERR_HTTP_METHOD_NOT_ALLOWED",
  413: "SWY_ERR_HTTP_BODY_TOO_LARGE",
  415: "SWY_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE",
  429: "SWY_ERR_RATE_LIMITED",
};

/**
 * Turns an error raised before or around the gateway — by a framework's body parser, or by the app's own
 * middleware (say, its authentication answering 401) — into the gateway's OpenAI-shaped error response,
 * so every answer under the mount point has the shape the OpenAI SDKs parse. A `SwitchyardError` is sent
 * as is; a 4xx keeps its message when the error says it may be shown (`expose`, as http-errors sets for
 * 4xx); a 5xx never shows its message.
 */
export function frameworkErrorResponse(error: unknown, requestHeaders: HeaderRecord): GatewayHttpResponse {
  const failure = toGatewayError(error);
  const headers: Record<string, string> = {
    ...failure.headers,
    "content-type": "application/json",
    "x-request-id": requestIdOf(requestHeaders),
  };
  if (failure.retryAfterMs !== undefined && (failure.status === 429 || failure.status === 503)) {
    headers["retry-after"] = String(Math.max(1, Math.ceil(failure.retryAfterMs / 1000)));
  }
  return { status: failure.status, headers, body: JSON.stringify(failure.toBody()) };
}

function toGatewayError(error: unknown): SwitchyardError {
  if (SwitchyardError.is(error)) return error;
  const like = (typeof error === "object" && error !== null ? error : {}) as HttpErrorLike;
  const declared = typeof like.status === "number" ? like.status : like.statusCode;
  const status = typeof declared === "number" && declared >= 400 && declared <= 599 ? declared : 500;
  const kind = typeof like.type === "string" ? like.type : typeof like.code === "string" ? like.code : "";
  const code: ErrorCode =
    codesByKind[kind] ??
    codesByStatus[status] ??
    (status < 500 ? "SWY_ERR_REQUEST_INVALID" : "SWY_ERR_INTERNAL");
  const shown =
    status < 500 && like.expose !== false && typeof like.message === "string" && like.message !== "";
  return new SwitchyardError(
    code,
    shown ? (like.message as string).slice(0, 500) : "The gateway failed to handle the request.",
    { status, headers: stringHeaders(like.headers), cause: error },
  );
}

function stringHeaders(value: unknown): Record<string, string> | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const headers: Record<string, string> = {};
  for (const [name, header] of Object.entries(value)) {
    if (typeof header === "string") headers[name.toLowerCase()] = header;
  }
  return headers;
}
