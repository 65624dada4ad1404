import { z } from "zod";

/** Spend budgets in USD. Each one set is enforced on its own; a request must fit all of them. */
export interface BudgetLimits {
  /** USD per UTC day (resets at 00:00 UTC). */
  readonly daily?: number;
  /** USD per UTC calendar month (resets on the 1st, 00:00 UTC). */
  readonly monthly?: number;
  /** USD over the key's (or team's) whole life: never resets. */
  readonly total?: number;
}

/** Rate limits of one key, on top of any gateway-wide limits of `@switchyard/limiter`. */
export interface KeyRateLimits {
  /** Requests per minute (sliding window). */
  readonly requestsPerMinute?: number;
  /** Tokens (prompt + completion) per minute (sliding window; reserved, then settled to real usage). */
  readonly tokensPerMinute?: number;
}

/** Scalar facts for routing and policy plugins (e.g. the routes plugin's `when.metadata`). */
export type KeyMetadata = Readonly<Record<string, string | number | boolean>>;

/** A virtual key as stores list it and the admin API shows it: everything but the secret's hash. */
export interface VirtualKey {
  /** Public id (`key_…`): the principal id, logged and used for limits and spend. Never the secret. */
  readonly id: string;
  /** A label for people. */
  readonly name?: string;
  /** The team the key belongs to: team budgets and the principal's `team`. */
  readonly team?: string;
  /** Model names (aliases or ids, as clients send them) the key may use; `*` and `?` are globs. @default every model */
  readonly models?: readonly string[];
  readonly budget?: BudgetLimits;
  readonly rateLimits?: KeyRateLimits;
  /** ISO 8601: the key stops working at this instant. */
  readonly expiresAt?: string;
  /** Set when the key was revoked: refused from the next request on, kept for its spend history. */
  readonly revokedAt?: string;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly metadata?: KeyMetadata;
}

/** A stored key: the record and the SHA-256 of its secret (hex). The secret itself is never stored. */
export interface StoredKey extends VirtualKey {
  readonly sha256: string;
}

/** What may change on a key after it was created (`undefined` leaves a field as it is). */
export type KeyChanges = {
  readonly [Field in
    | "name"
    | "team"
    | "models"
    | "budget"
    | "rateLimits"
    | "expiresAt"
    | "revokedAt"
    | "metadata"]?: VirtualKey[Field];
};

const usd = z.number().nonnegative().max(1e9);
const isoDate = z.iso.datetime({ offset: true });

/** zod schema of budget limits. */
export const budgetLimitsSchema = z
  .object({ daily: usd.optional(), monthly: usd.optional(), total: usd.optional() })
  .strict();

/** zod schema of a key's rate limits. */
export const keyRateLimitsSchema = z
  .object({
    requestsPerMinute: z.number().int().positive().optional(),
    tokensPerMinute: z.number().int().positive().optional(),
  })
  .strict();

/** zod schema of the changeable fields of a key. */
export const keyFieldsSchema = z.object({
  name: z.string().min(1).max(200).optional(),
  team: z.string().min(1).max(200).optional(),
  models: z.array(z.string().min(1).max(200)).max(1000).optional(),
  budget: budgetLimitsSchema.optional(),
  rateLimits: keyRateLimitsSchema.optional(),
  expiresAt: isoDate.optional(),
  metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

/** zod schema of a stored key (file and Redis stores validate what they read with it). */
export const storedKeySchema = keyFieldsSchema
  .extend({
    id: z.string().regex(/^[\w.:-]{1,128}$/, "letters, digits, '_', '.', ':' or '-'"),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, "64 lower-case hex digits"),
    createdAt: isoDate,
    revokedAt: isoDate.optional(),
  })
  .strict();

/** The key without its hash: what may be shown. */
export function publicKey(stored: StoredKey): VirtualKey {
  const { sha256: _hash, ...rest } = stored;
  return rest;
}

/** Why a key is not usable at `nowMs`, or `"active"`. */
export function keyStatus(key: VirtualKey, nowMs: number): "active" | "revoked" | "expired" {
  if (key.revokedAt !== undefined) return "revoked";
  if (key.expiresAt !== undefined && Date.parse(key.expiresAt) <= nowMs) return "expired";
  return "active";
}

/** Drops `undefined` fields, so records compare and serialise cleanly. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
