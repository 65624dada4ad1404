import type { RequestContext } from "@switchyard/core";
import { z } from "zod";
import { type ClientAddressResolver, createClientAddressResolver } from "./client-address.js";
import { type AlgorithmKind, algorithmKinds, type LimitAlgorithm } from "./limit-algorithm.js";
import { policyItem } from "./rate-limit-headers.js";

/** What a limit counts: requests, or tokens (prompt + completion). */
export type LimitUnit = "requests" | "tokens";

/** A named window length. */
export type LimitPeriod = "second" | "minute" | "hour" | "day";

/**
 * One dimension of a limit's key:
 * - `principal`: the caller's `principal.id` (the API key's id); `anonymous` when unauthenticated.
 * - `team`: `principal.team`; the limit does not apply to callers without a team.
 * - `model`: the model the client asked for.
 * - `route`: the API route: `chat`, `completions` or `embeddings`.
 * - `ip`: the client's IP address: the socket peer, or, behind proxies listed in the plugin's
 *   `trustedProxies`, the rightmost untrusted `X-Forwarded-For` entry. The limit does not apply to
 *   requests whose address the adapter could not tell (a fetch handler without its `remoteAddress` option).
 * - `global`: one counter for everyone.
 */
export type LimitKeyPart = "principal" | "team" | "model" | "route" | "ip" | "global";

/**
 * Whose counter a request charges: a dimension, several (one counter per combination, e.g. per team and
 * model), or a function of the request context (return `undefined` to leave the request out of the limit).
 */
export type LimitKey =
  | LimitKeyPart
  | readonly LimitKeyPart[]
  | ((context: RequestContext) => string | undefined);

/** One limit, as configured. */
export interface LimitOptions {
  /**
   * Names the limit in headers, error messages and store keys: letters, digits, `.`, `_` and `-`. Unique
   * within the plugin. Changing it starts the limit's counters afresh.
   */
  name: string;
  /** What the limit counts. @default "requests" */
  unit?: LimitUnit;
  /**
   * How many units per window; for `concurrency`, how many requests in flight at once. A positive integer.
   */
  limit: number;
  /**
   * The window: `"second"`, `"minute"`, `"hour"`, `"day"`, or a length in ms. Windows of the fixed and
   * sliding algorithms are aligned to the epoch (UTC midnight for days). Not used by `concurrency`.
   */
  per?: LimitPeriod | number;
  /** How the limit counts; see docs/guides/rate-limiting.md#algorithms. @default "sliding-window" */
  algorithm?: AlgorithmKind;
  /** The largest burst of `token-bucket` and `gcra` (their capacity). @default limit */
  burst?: number;
  /** Whose counter. @default "principal" */
  key?: LimitKey;
  /** Only requests for these models (as clients name them). @default every model */
  models?: readonly string[];
  /**
   * For `concurrency`: how long a request's lease lives when nobody gives it back (a replica that died
   * mid-request). Longer than your longest request.
   * @default 600000 (10 minutes)
   */
  leaseMs?: number;
}

const periods: Readonly<Record<LimitPeriod, number>> = Object.freeze({
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
});

const keyParts = ["principal", "team", "model", "route", "ip", "global"] as const;

/** The zod schema of one limit. */
export const limitOptionsSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "Use 1-64 letters, digits, '.', '_' or '-'"),
    unit: z.enum(["requests", "tokens"]).default("requests"),
    limit: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    per: z
      .union([
        z.enum(["second", "minute", "hour", "day"]),
        z
          .number()
          .int()
          .positive()
          .max(366 * 86_400_000),
      ])
      .optional(),
    algorithm: z.enum(algorithmKinds as [AlgorithmKind, ...AlgorithmKind[]]).default("sliding-window"),
    burst: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
    key: z
      .union([
        z.enum(keyParts),
        z.array(z.enum(keyParts)).min(1),
        z.custom<(context: RequestContext) => string | undefined>((value) => typeof value === "function"),
      ])
      .default("principal"),
    models: z.array(z.string().min(1)).min(1).optional(),
    leaseMs: z.number().int().positive().default(600_000),
  })
  .strict()
  .superRefine((limit, issues) => {
    if (limit.algorithm === "concurrency") {
      if (limit.unit !== "requests") {
        issues.addIssue({ code: "custom", path: ["unit"], message: "A concurrency limit counts requests" });
      }
    } else if (limit.per === undefined) {
      issues.addIssue({ code: "custom", path: ["per"], message: "Required: the window of the limit" });
    }
    if (limit.burst !== undefined && limit.algorithm !== "token-bucket" && limit.algorithm !== "gcra") {
      issues.addIssue({
        code: "custom",
        path: ["burst"],
        message: "Only token-bucket and gcra take a burst",
      });
    }
  });

/** A limit ready for the hot path. */
export interface ResolvedLimit {
  readonly name: string;
  readonly unit: LimitUnit;
  readonly algorithm: LimitAlgorithm;
  /** The counter a request charges, or `undefined` when the limit does not apply to it. */
  readonly subjectOf: (context: RequestContext) => string | undefined;
  readonly models: ReadonlySet<string> | undefined;
  /** "1000 tokens per minute", for messages. */
  readonly description: string;
  /** The limit's item of the IETF `RateLimit-Policy` field. */
  readonly policyItem: string;
}

function subjectResolver(
  key: z.infer<typeof limitOptionsSchema>["key"],
  clientAddress: ClientAddressResolver,
): ResolvedLimit["subjectOf"] {
  if (typeof key === "function") return key;
  const parts: readonly LimitKeyPart[] = typeof key === "string" ? [key] : key;
  if (parts.length === 1 && parts[0] === "global") return () => "global";
  const partValue = (part: LimitKeyPart, context: RequestContext): string | undefined => {
    switch (part) {
      case "principal":
        return context.principal?.id ?? "anonymous";
      case "team":
        return context.principal?.team;
      case "model":
        return context.model;
      case "route":
        return context.operation;
      case "ip":
        return clientAddress(context);
      case "global":
        return "global";
    }
  };
  return (context) => {
    let subject = "";
    for (const part of parts) {
      const value = partValue(part, context);
      if (value === undefined) return undefined;
      subject += `${subject === "" ? "" : ","}${part}=${value}`;
    }
    return subject;
  };
}

function describe(limit: z.infer<typeof limitOptionsSchema>, windowMs: number, burst: number): string {
  const units = (count: number, unit: LimitUnit) => `${count} ${count === 1 ? unit.slice(0, -1) : unit}`;
  if (limit.algorithm === "concurrency") return `${units(limit.limit, "requests")} in flight`;
  const per =
    typeof limit.per === "string"
      ? `per ${limit.per}`
      : `per ${windowMs % 1000 === 0 ? `${windowMs / 1000} s` : `${windowMs} ms`}`;
  const bursts = burst !== limit.limit ? ` (bursts of ${burst})` : "";
  return `${units(limit.limit, limit.unit)} ${per}${bursts}`;
}

const peerAddress = createClientAddressResolver();

/** Turns validated options into the form the plugin runs; `clientAddress` resolves the `ip` key part. */
export function resolveLimit(
  limit: z.infer<typeof limitOptionsSchema>,
  clientAddress: ClientAddressResolver = peerAddress,
): ResolvedLimit {
  const windowMs =
    limit.algorithm === "concurrency"
      ? limit.leaseMs
      : typeof limit.per === "string"
        ? periods[limit.per]
        : (limit.per as number);
  const burst = limit.burst ?? limit.limit;
  const algorithm: LimitAlgorithm = Object.freeze({
    kind: limit.algorithm,
    limit: limit.limit,
    windowMs,
    burst,
  });
  return Object.freeze({
    name: limit.name,
    unit: limit.unit,
    algorithm,
    subjectOf: subjectResolver(limit.key, clientAddress),
    models: limit.models === undefined ? undefined : new Set(limit.models),
    description: describe(limit, windowMs, burst),
    policyItem: policyItem({ name: limit.name, unit: limit.unit, algorithm }),
  });
}
