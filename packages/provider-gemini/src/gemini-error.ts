import { type SwitchyardError, type UpstreamErrorResponse, upstreamStatusError } from "@switchyard/core";
import { type GeminiErrorBody, geminiErrorSchema } from "./gemini-api.js";

type Headers = UpstreamErrorResponse["headers"];
type GoogleError = GeminiErrorBody["error"];

/**
 * Maps a Gemini error answer: Google's `{"error":{"code","message","status","details"}}` (sometimes wrapped
 * in a one-element array). The HTTP status picks the code, with two Google specifics:
 * - a bad or expired key comes back as 400 INVALID_ARGUMENT with an `ErrorInfo` reason `API_KEY_*`: it is a
 *   credentials failure of the gateway, mapped like a 401;
 * - a 429 names its wait in a `RetryInfo` detail (`"retryDelay": "34.4s"`) rather than `Retry-After`.
 */
export function parseGeminiError(response: UpstreamErrorResponse, providerName: string): SwitchyardError {
  const error = readGoogleError(response.body);
  const status = error && isKeyError(error) ? 401 : response.status;
  return upstreamStatusError(status, describe(error), withRetryDelay(response.headers, error), providerName);
}

/** An `{"error": ...}` event in a stream -> the error for its Google status code. */
export function parseGeminiStreamError(body: unknown, providerName: string): SwitchyardError | undefined {
  const parsed = geminiErrorSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const error = parsed.data.error;
  const code = error.code !== undefined && error.code >= 400 && error.code <= 599 ? error.code : 500;
  return upstreamStatusError(isKeyError(error) ? 401 : code, describe(error), {}, providerName);
}

function readGoogleError(body: string): GoogleError | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const candidate = Array.isArray(parsed) ? parsed[0] : parsed;
  const result = geminiErrorSchema.safeParse(candidate);
  return result.success ? result.data.error : undefined;
}

function describe(error: GoogleError | undefined): string | undefined {
  if (!error?.message) return error?.status;
  return error.status ? `${error.message} (${error.status})` : error.message;
}

function isKeyError(error: GoogleError): boolean {
  if (error.status === "UNAUTHENTICATED") return true;
  return (error.details ?? []).some((detail) => {
    const reason = (detail as { reason?: unknown }).reason;
    return typeof reason === "string" && reason.startsWith("API_KEY_");
  });
}

/** Adds `retry-after-ms` from a `RetryInfo` detail when the answer carries no retry header of its own. */
function withRetryDelay(headers: Headers, error: GoogleError | undefined): Headers {
  if (headers["retry-after"] !== undefined || headers["retry-after-ms"] !== undefined) return headers;
  const info = error?.details?.find((detail) => detail["@type"]?.endsWith("google.rpc.RetryInfo"));
  const delay = (info as { retryDelay?: unknown } | undefined)?.retryDelay;
  // A protobuf Duration in JSON: decimal seconds with an `s` suffix.
  const match = typeof delay === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(delay) : null;
  if (!match) return headers;
  return { ...headers, "retry-after-ms": String(Math.round(Number(match[1]) * 1000)) };
}
