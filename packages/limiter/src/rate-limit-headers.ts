import type { LimitState } from "./limit-algorithm.js";
import type { ResolvedLimit } from "./limit-options.js";

/**
 * Which rate-limit headers to send:
 * - `openai`: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, as OpenAI sends them.
 * - `ietf`: `RateLimit` and `RateLimit-Policy` of the IETF httpapi draft (one list item per limit).
 * - `ietf-legacy`: `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` of the earlier drafts.
 */
export type RateLimitHeaderFormat = "openai" | "ietf" | "ietf-legacy";

/** One limit a request met, and what it said. */
export interface AppliedLimitState {
  readonly limit: ResolvedLimit;
  readonly state: LimitState;
}

/**
 * A duration the way OpenAI writes `x-ratelimit-reset-*`: `250ms`, `1s`, `1.5s`, `6m0s`, `1h2m3s`.
 */
export function formatResetDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = `${Number(((total % 60_000) / 1000).toFixed(3))}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${minutes}m${seconds}`;
  return seconds;
}

/**
 * The limit that binds hardest: a refusing one first (the longest wait), else the one with the smallest
 * share left, else the one that resets last.
 */
export function bindingLimit(applied: readonly AppliedLimitState[]): AppliedLimitState | undefined {
  let best: AppliedLimitState | undefined;
  for (const item of applied) {
    if (best === undefined) {
      best = item;
      continue;
    }
    const a = item.state;
    const b = best.state;
    if (a.allowed !== b.allowed) {
      if (!a.allowed) best = item;
      continue;
    }
    if (!a.allowed) {
      if (a.retryAfterMs > b.retryAfterMs) best = item;
      continue;
    }
    const shareA = a.remaining / item.limit.algorithm.burst;
    const shareB = b.remaining / best.limit.algorithm.burst;
    if (shareA < shareB || (shareA === shareB && a.resetMs > b.resetMs)) best = item;
  }
  return best;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/** A limit's item of the IETF `RateLimit-Policy` field: fixed per limit, so built once. */
export function policyItem(limit: Pick<ResolvedLimit, "name" | "unit" | "algorithm">): string {
  const { kind, burst, windowMs } = limit.algorithm;
  if (kind === "concurrency") return `"${limit.name}";q=${burst};qu="concurrency"`;
  // The draft registers no unit for tokens: say so with a parameter of our own.
  const unit = limit.unit === "tokens" ? `;swy-unit="tokens"` : "";
  return `"${limit.name}";q=${burst};w=${Math.max(1, seconds(windowMs))}${unit}`;
}

/** The rate-limit headers of a request, in the chosen formats. Header names are lower-case. */
export function rateLimitHeaders(
  applied: readonly AppliedLimitState[],
  formats: ReadonlySet<RateLimitHeaderFormat>,
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (applied.length === 0) return headers;
  // Concurrency is not a rate: OpenAI's headers and the legacy trio describe only the windowed limits.
  const windowed = applied.filter((item) => item.limit.algorithm.kind !== "concurrency");
  if (formats.has("openai")) {
    for (const unit of ["requests", "tokens"] as const) {
      const binding = bindingLimit(windowed.filter((item) => item.limit.unit === unit));
      if (binding === undefined) continue;
      headers[`x-ratelimit-limit-${unit}`] = String(binding.limit.algorithm.burst);
      headers[`x-ratelimit-remaining-${unit}`] = String(binding.state.remaining);
      headers[`x-ratelimit-reset-${unit}`] = formatResetDuration(binding.state.resetMs);
    }
  }
  if (formats.has("ietf")) {
    headers["ratelimit-policy"] = applied.map((item) => item.limit.policyItem).join(", ");
    headers.ratelimit = applied
      .map(({ limit, state }) => `"${limit.name}";r=${state.remaining};t=${seconds(state.resetMs)}`)
      .join(", ");
  }
  if (formats.has("ietf-legacy")) {
    const binding = bindingLimit(windowed);
    if (binding !== undefined) {
      headers["ratelimit-limit"] = String(binding.limit.algorithm.burst);
      headers["ratelimit-remaining"] = String(binding.state.remaining);
      headers["ratelimit-reset"] = String(seconds(binding.state.resetMs));
    }
  }
  return headers;
}
