import type { ErrorCode } from "./error-codes.js";
import { SwitchyardError } from "./errors.js";

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/**
 * Reads how long the upstream asks us to wait: `retry-after-ms` (OpenAI, Azure), then `Retry-After` as
 * delta-seconds or an HTTP-date. Returns ms, or undefined when absent or unparsable.
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const milliseconds = single(headers["retry-after-ms"]);
  if (milliseconds !== undefined && /^\d+(\.\d+)?$/.test(milliseconds.trim())) return Number(milliseconds);
  const value = single(headers["retry-after"])?.trim();
  if (value === undefined || value === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The shared upstream-status mapping every provider uses: picks the code for an upstream HTTP status and
 * keeps the provider's message. Credentials errors never carry the upstream text (it may quote the key).
 */
export function upstreamStatusError(
  status: number,
  message: string | undefined,
  headers: Headers,
  providerName: string,
): SwitchyardError {
  const retryAfterMs = parseRetryAfter(headers);
  const text = message?.trim() ? message.trim().slice(0, 2_000) : `HTTP ${status}`;
  const describe = (what: string) => `${providerName}: ${what}`;
  const make = (code: ErrorCode, what: string, extra: { status?: number } = {}) =>
    new SwitchyardError(code, describe(what), { upstreamStatus: status, retryAfterMs, ...extra });
  if (status === 401 || status === 403) {
    return make("SWY_ERR_UPSTREAM_AUTH", "the provider refused the gateway's credentials.");
  }
  if (status === 404) return make("SWY_ERR_UPSTREAM_NOT_FOUND", text);
  if (status === 408) return make("SWY_ERR_UPSTREAM_TIMEOUT", text);
  if (status === 409) return make("SWY_ERR_UPSTREAM_CONFLICT", text);
  if (status === 413) return make("SWY_ERR_UPSTREAM_BAD_REQUEST", text, { status: 413 });
  if (status === 429) return make("SWY_ERR_UPSTREAM_RATE_LIMITED", text);
  if (status === 503 || status === 529) return make("SWY_ERR_UPSTREAM_OVERLOADED", text);
  if (status >= 500) return make("SWY_ERR_UPSTREAM_SERVER", text);
  return make("SWY_ERR_UPSTREAM_BAD_REQUEST", text, { status: status === 422 ? 422 : 400 });
}
