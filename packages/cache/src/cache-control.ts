/** What a client asked of the cache with its request headers. */
export interface CacheDirectives {
  /** `Cache-Control: no-cache` (or `Pragma: no-cache`): do not answer from the cache; store the fresh answer. */
  readonly noCache: boolean;
  /** `Cache-Control: no-store`: neither answer from the cache nor store the answer. */
  readonly noStore: boolean;
  /** `Cache-Control: max-age=N`: accept a cached answer at most N seconds old (in ms here). */
  readonly maxAgeMs: number | undefined;
  /** `x-switchyard-semantic-cache: off`: exact matches only. */
  readonly semanticOff: boolean;
}

/** Request header that turns the semantic cache off for one request (`off`). */
export const SEMANTIC_CACHE_HEADER = "x-switchyard-semantic-cache";

const NONE: CacheDirectives = Object.freeze({
  noCache: false,
  noStore: false,
  maxAgeMs: undefined,
  semanticOff: false,
});

/** Reads the cache directives of a request (header names lower-cased, as the gateway gives them). */
export function parseCacheDirectives(headers: Readonly<Record<string, string | undefined>>): CacheDirectives {
  const control = headers["cache-control"];
  const pragma = headers.pragma;
  const semantic = headers[SEMANTIC_CACHE_HEADER];
  if (control === undefined && pragma === undefined && semantic === undefined) return NONE;
  let noCache = false;
  let noStore = false;
  let maxAgeMs: number | undefined;
  for (const raw of (control ?? "").split(",")) {
    const directive = raw.trim().toLowerCase();
    if (directive === "no-cache") noCache = true;
    else if (directive === "no-store") noStore = true;
    else if (directive.startsWith("max-age=")) {
      const seconds = Number(directive.slice("max-age=".length).replace(/^"|"$/g, ""));
      if (Number.isInteger(seconds) && seconds >= 0) maxAgeMs = seconds * 1000;
    }
  }
  // RFC 9111: Pragma only counts when there is no Cache-Control.
  if (control === undefined && pragma !== undefined && /(^|,)\s*no-cache\s*(,|$)/i.test(pragma))
    noCache = true;
  const semanticOff = semantic !== undefined && /^(off|false|0|no)$/i.test(semantic.trim());
  return { noCache, noStore, maxAgeMs, semanticOff };
}
