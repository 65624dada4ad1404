import { randomUUID, timingSafeEqual } from "node:crypto";
import type { RequestContext, Usage } from "@switchyard/core";

/** What the cache did for a request, as the `x-switchyard-cache` response header says it. */
export type CacheResult = "hit" | "miss" | "bypass";

/** How a request was answered without an upstream call of its own. */
export type CacheServedBy = "exact" | "semantic" | "coalesced";

/** The cache's record of one request, on `context.locals`; read it with {@link cacheOutcome}. */
export interface CacheOutcome {
  /** `hit`: answered from the cache; `miss`: looked up, not found; `bypass`: not looked up. */
  readonly result: CacheResult;
  /**
   * Set when the answer came without an upstream call of this request's own: an exact or semantic cache
   * hit, or a coalesced follower that shared an identical request's upstream call.
   */
  readonly servedBy?: CacheServedBy;
  /** Usage of the answer served, as reported when it was generated (hits and coalesced followers). */
  readonly usage?: Usage;
  /** USD the served answer cost when it was generated, when its model has a price. */
  readonly savedCost?: number;
  /** Cosine similarity of a semantic hit. */
  readonly similarity?: number;
}

// Global symbols, so a second copy of this package (or a plugin that does not depend on it) finds them.
const kOutcome = Symbol.for("switchyard.cache.outcome");
const kInternalToken = Symbol.for("switchyard.cache.internal-token");

/** The cache's outcome for a request, or `undefined` when no cache plugin looked at it. */
export function cacheOutcome(context: RequestContext): CacheOutcome | undefined {
  return context.locals[kOutcome] as CacheOutcome | undefined;
}

/**
 * Whether the request was answered without an upstream call of its own: a cache hit (exact or semantic)
 * or a coalesced follower. Rate limiters and cost accounting use it to treat such answers by their own
 * configuration.
 */
export function isCacheHit(context: RequestContext): boolean {
  return cacheOutcome(context)?.servedBy !== undefined;
}

/** Records the outcome (internal). */
export function setCacheOutcome(context: RequestContext, outcome: CacheOutcome): void {
  context.locals[kOutcome] = outcome;
}

/** Request header that marks the gateway's own internal requests (semantic-cache embeddings, batches). */
export const INTERNAL_REQUEST_HEADER = "x-switchyard-internal";

// A per-process secret: an internal request is recognised by it, so a client cannot pass as one by
// sending the header. It is never sent upstream (providers build their own headers) nor to clients.
const globalSlots = globalThis as unknown as Record<symbol, string | undefined>;
globalSlots[kInternalToken] ??= randomUUID();
const internalToken = globalSlots[kInternalToken] as string;
const internalTokenBytes = Buffer.from(internalToken);

/** Headers that mark a request made through `gateway.handle()` by this package, with its purpose. */
export function internalRequestHeaders(purpose: string): Record<string, string> {
  return { [INTERNAL_REQUEST_HEADER]: `${internalToken} ${purpose}` };
}

/**
 * The purpose of an internal request made by this package (e.g. `semantic-embedding`, `batch:7`), or
 * `undefined` for a client's request. Caches and batchers leave internal requests alone.
 */
export function internalRequestPurpose(context: RequestContext): string | undefined {
  const value = context.headers[INTERNAL_REQUEST_HEADER];
  if (value === undefined || value.charCodeAt(internalToken.length) !== 32) return undefined;
  // Constant-time, like any secret comparison.
  const presented = Buffer.from(value.slice(0, internalToken.length));
  if (presented.length !== internalTokenBytes.length || !timingSafeEqual(presented, internalTokenBytes))
    return undefined;
  return value.slice(internalToken.length + 1);
}

/** Whether the request is an internal one made by this package (see {@link internalRequestPurpose}). */
export function isInternalRequest(context: RequestContext): boolean {
  return internalRequestPurpose(context) !== undefined;
}

/** Request headers forwarded to internal requests, so they authenticate as the request they serve. */
export const DEFAULT_FORWARDED_HEADERS: readonly string[] = Object.freeze([
  "authorization",
  "x-api-key",
  "api-key",
]);

/** The headers of an internal request made on behalf of `context`. */
export function forwardedHeaders(
  context: RequestContext,
  names: readonly string[],
  purpose: string,
): Record<string, string> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  for (const name of names) {
    const value = context.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  return { ...headers, ...internalRequestHeaders(purpose) };
}
