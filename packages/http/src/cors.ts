import { type GatewayHttpResponse, parseOptions } from "@switchyard/core";
import { z } from "zod";
import { type HeaderRecord, requestIdOf } from "./request-id.js";

/**
 * Response headers browsers let scripts read by default: the request id, the upstream's request id,
 * `retry-after` and OpenAI's rate-limit headers. `Access-Control-Expose-Headers` takes no wildcard on
 * credentialed requests, so the `x-ratelimit-*` family is spelled out.
 */
export const DEFAULT_EXPOSED_HEADERS: readonly string[] = Object.freeze([
  "x-request-id",
  "x-upstream-request-id",
  "retry-after",
  "x-ratelimit-limit-requests",
  "x-ratelimit-limit-tokens",
  "x-ratelimit-remaining-requests",
  "x-ratelimit-remaining-tokens",
  "x-ratelimit-reset-requests",
  "x-ratelimit-reset-tokens",
]);

const ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS";

/** Cross-origin settings shared by every adapter. CORS is off unless an adapter is given these. */
export interface CorsOptions {
  /**
   * Who may call from a browser: exact origins (`https://app.example.com`, lower-case, no path), `"*"` for
   * any origin (refused together with `credentials`), or a predicate over the request's `Origin`.
   */
  origins: readonly string[] | "*" | ((origin: string) => boolean);
  /** Let browsers send cookies and HTTP auth (`Access-Control-Allow-Credentials: true`). @default false */
  credentials?: boolean;
  /** How long a browser may cache a preflight answer, in seconds (0 to 86400). @default 600 */
  maxAgeSeconds?: number;
  /**
   * Request headers a browser may send. @default the headers the preflight asks for, echoed back (the
   * OpenAI SDKs send `x-stainless-*` headers that change between versions)
   */
  allowedHeaders?: readonly string[];
  /** Response headers scripts may read, in addition to {@link DEFAULT_EXPOSED_HEADERS}. @default [] */
  exposedHeaders?: readonly string[];
}

/** CORS for one adapter: answers preflights and adds headers to actual responses. */
export interface Cors {
  /** The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`), or undefined otherwise. */
  preflight(method: string, headers: HeaderRecord): GatewayHttpResponse | undefined;
  /** The CORS headers of an actual response to a request with these headers (empty for a foreign origin). */
  responseHeaders(headers: HeaderRecord): Record<string, string>;
}

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "is not a valid header name");

const corsOptionsSchema = z
  .object({
    origins: z.union([
      z.literal("*"),
      z
        .array(
          z
            .string()
            .refine(
              isOrigin,
              "an origin is scheme://host[:port] in lower case, with no path and no trailing slash",
            ),
        )
        .min(1),
      z.custom<(origin: string) => boolean>((value) => typeof value === "function", "expected a function"),
    ]),
    credentials: z.boolean().default(false),
    maxAgeSeconds: z.number().int().min(0).max(86_400).default(600),
    allowedHeaders: z.array(headerName).optional(),
    exposedHeaders: z.array(headerName).default([]),
  })
  .strict()
  .refine((options) => !(options.origins === "*" && options.credentials), {
    message:
      "'*' cannot be combined with credentials (browsers refuse `Access-Control-Allow-Origin: *` on credentialed requests); list the origins",
    path: ["origins"],
  });

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value;
  } catch {
    return false;
  }
}

/**
 * Validates the options once (a `SwitchyardError` with code `SWY_ERR_CONFIG_INVALID` names the faulty
 * option) and returns the CORS logic every adapter shares.
 */
export function createCors(options: CorsOptions): Cors {
  const settings = parseOptions(corsOptionsSchema, options, "cors");
  const origins = settings.origins;
  const anyOrigin = origins === "*";
  const listed = Array.isArray(origins) ? new Set<string>(origins) : undefined;
  const isAllowed = (origin: string): boolean =>
    anyOrigin || (listed ? listed.has(origin) : (origins as (origin: string) => boolean)(origin));
  const exposed = [...new Set([...DEFAULT_EXPOSED_HEADERS, ...settings.exposedHeaders.map(lower)])].join(
    ", ",
  );
  const allowedHeaders = settings.allowedHeaders?.map(lower).join(", ");
  const maxAge = String(settings.maxAgeSeconds);
  // With one answer for every origin there is nothing for caches to tell apart.
  const vary: Record<string, string> = anyOrigin ? {} : { vary: "Origin" };

  const allowOrigin = (origin: string): Record<string, string> => ({
    "access-control-allow-origin": anyOrigin ? "*" : origin,
    ...(settings.credentials ? { "access-control-allow-credentials": "true" } : {}),
  });

  return {
    preflight(method, headers) {
      if (method !== "OPTIONS" || headers["access-control-request-method"] === undefined) return undefined;
      const origin = headers.origin;
      const answer: Record<string, string> = {
        ...vary,
        "x-request-id": requestIdOf(headers),
      };
      if (origin !== undefined && isAllowed(origin)) {
        Object.assign(answer, allowOrigin(origin), {
          "access-control-allow-methods": ALLOWED_METHODS,
          "access-control-max-age": maxAge,
        });
        const requested = allowedHeaders ?? sanitiseHeaderList(headers["access-control-request-headers"]);
        if (requested) answer["access-control-allow-headers"] = requested;
        if (allowedHeaders === undefined) {
          answer.vary = anyOrigin
            ? "Access-Control-Request-Headers"
            : "Origin, Access-Control-Request-Headers";
        }
      }
      // A refused origin gets the same empty 204 without CORS headers: the browser then blocks the call.
      return { status: 204, headers: answer, body: null };
    },
    responseHeaders(headers) {
      const origin = headers.origin;
      if (origin === undefined || !isAllowed(origin)) return { ...vary };
      return { ...vary, ...allowOrigin(origin), "access-control-expose-headers": exposed };
    },
  };
}

/** The response with the CORS headers for `requestHeaders` added (a `vary` already there is kept). */
export function withCorsHeaders(
  cors: Cors | undefined,
  requestHeaders: HeaderRecord,
  response: GatewayHttpResponse,
): GatewayHttpResponse {
  if (cors === undefined) return response;
  const added = cors.responseHeaders(requestHeaders);
  const existingVary = response.headers.vary;
  if (existingVary !== undefined && added.vary !== undefined) added.vary = `${existingVary}, ${added.vary}`;
  return { ...response, headers: { ...response.headers, ...added } };
}

function lower(name: string): string {
  return name.toLowerCase();
}

// Echo only well-formed header names: the value goes back into a response header.
function sanitiseHeaderList(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => /^[!#$%&'*+.^_`|~0-9a-z-]{1,100}$/.test(name))
    .slice(0, 100);
  return names.length > 0 ? names.join(", ") : undefined;
}
