import { createHash } from "node:crypto";
import type { Meter } from "@opentelemetry/api";
import {
  type Gateway,
  HookStage,
  type Plugin,
  type Principal,
  parseOptions,
  type RequestContext,
  SwitchyardError,
} from "@switchyard/core";
import type { Dispatcher } from "undici";
import { z } from "zod";
import {
  cleanReason,
  dispatcherSchema,
  headersSchema,
  httpUrlSchema,
  meterSchema,
  operationPath,
} from "./guardrail-options.js";
import { GuardrailTelemetry } from "./guardrail-telemetry.js";
import { PolicyClient, type PolicyFailure } from "./policy-client.js";

const PLUGIN_NAME = "switchyard:external-auth";

/** Options of {@link createExternalAuthPlugin}. */
export interface ExternalAuthOptions {
  /** The authorization service's URL (http or https). Fixed here: never taken from a request. */
  url: string;
  /** Deadline for the whole call (connect, answer, body). @default 1000 */
  timeoutMs?: number;
  /**
   * When the service times out, is unreachable or answers anything but 200, 401 or 403: `true` lets the
   * request go on as `failOpenPrincipal` (anonymous when unset, which `requireAuth` then refuses with 401);
   * `false` refuses it with 503 `SWY_ERR_POLICY_UNAVAILABLE`. Both are logged and counted. @default false
   */
  failOpen?: boolean;
  /** The principal of requests let through by `failOpen`. @default undefined (anonymous) */
  failOpenPrincipal?: Principal;
  /**
   * Inbound headers passed to the service (names, any case). Only these leave the gateway.
   * @default ["authorization", "x-api-key"]
   */
  forwardHeaders?: readonly string[];
  /** Headers sent to the service on every call, e.g. its own credentials. @default {} */
  headers?: Readonly<Record<string, string>>;
  /**
   * Keep each positive answer this long, keyed by a SHA-256 of the forwarded headers, the operation and the
   * model; refusals are never kept. A revoked credential keeps working until its entry expires. 0 keeps
   * nothing. @default 0
   */
  cacheTtlMs?: number;
  /** Most answers kept; the oldest goes first. @default 10000 */
  cacheMaxEntries?: number;
  /** Longest answer body read. @default 65536 */
  maxResponseBytes?: number;
  /** An undici dispatcher of your own (custom CA, client certificate, proxy). @default a keep-alive Pool */
  dispatcher?: Dispatcher;
  /** Where the decision counter goes. @default metrics.getMeter("@switchyard/guardrails") */
  meter?: Meter;
  /** The `authenticate` tap's stage. @default HookStage.DEFAULT (0) */
  stage?: number;
}

/** The external authentication plugin; `close()` releases its connection pool. */
export interface ExternalAuthPlugin extends Plugin {
  close(): Promise<void>;
}

const principalSchema = z.looseObject({
  id: z.string().min(1),
  team: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

const optionsSchema = z
  .object({
    url: httpUrlSchema,
    timeoutMs: z.number().int().positive().max(60_000).default(1_000),
    failOpen: z.boolean().default(false),
    failOpenPrincipal: principalSchema.optional(),
    forwardHeaders: z
      .array(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "is not a header name"))
      .default(["authorization", "x-api-key"]),
    headers: headersSchema,
    cacheTtlMs: z.number().int().min(0).default(0),
    cacheMaxEntries: z.number().int().positive().default(10_000),
    maxResponseBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024),
    dispatcher: dispatcherSchema,
    meter: meterSchema,
    stage: z.number().int().default(HookStage.DEFAULT),
  })
  .strict();

/**
 * Authenticates each request with an HTTP service of yours, like Envoy's `ext_authz`: the plugin POSTs the
 * selected inbound headers and what is asked for (`method`, `path`, `operation`, `model`, `stream`), and
 * the service answers 200 with the principal (`{ id, team?, metadata? }`), 401 (bad credentials) or 403
 * (not allowed), optionally with `{ reason }`, which the client is shown.
 */
export function createExternalAuthPlugin(options: ExternalAuthOptions): ExternalAuthPlugin {
  const settings = parseOptions(optionsSchema, options, "external auth");
  const forward = [...new Set(settings.forwardHeaders.map((name) => name.toLowerCase()))];
  const client = new PolicyClient({
    url: settings.url,
    timeoutMs: settings.timeoutMs,
    headers: settings.headers,
    maxResponseBytes: settings.maxResponseBytes,
    dispatcher: settings.dispatcher,
  });
  const telemetry = new GuardrailTelemetry(PLUGIN_NAME, settings.meter);
  const cache =
    settings.cacheTtlMs > 0 ? new PrincipalCache(settings.cacheTtlMs, settings.cacheMaxEntries) : undefined;
  const failOpenPrincipal = settings.failOpenPrincipal
    ? (Object.freeze({ ...settings.failOpenPrincipal }) as Principal)
    : undefined;

  const unavailable = (
    context: RequestContext,
    failure: PolicyFailure,
    cause: unknown,
  ): Principal | undefined => {
    telemetry.serviceFailed(context.id, failure, settings.failOpen, cause);
    if (settings.failOpen) return failOpenPrincipal;
    throw new SwitchyardError(
      "SWY_ERR_POLICY_UNAVAILABLE",
      "The authorization service is unavailable; try again shortly.",
      {
        retryAfterMs: 1_000,
        cause,
      },
    );
  };

  const authenticate = async (context: RequestContext): Promise<Principal | undefined> => {
    const headers: Record<string, string> = {};
    for (const name of forward) {
      const value = context.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    const key = cache ? cacheKey(context, headers) : undefined;
    if (cache && key) {
      const hit = cache.get(key);
      if (hit) {
        telemetry.decided("cached");
        return hit;
      }
    }
    const result = await client.post(
      {
        requestId: context.id,
        dialect: context.dialect,
        method: "POST",
        path: operationPath(context.operation),
        operation: context.operation,
        model: context.model,
        stream: context.stream,
        headers,
      },
      context.id,
      context.signal,
    );
    if (!result.ok) return unavailable(context, result.failure, result.cause ?? result.status);
    const reason =
      cleanReason((result.body as { reason?: unknown; message?: unknown } | undefined)?.reason) ??
      cleanReason((result.body as { message?: unknown } | undefined)?.message);
    if (result.status === 401) {
      telemetry.decided("denied");
      throw new SwitchyardError("SWY_ERR_AUTH_INVALID", reason ?? "The credentials were not accepted.");
    }
    if (result.status === 403) {
      telemetry.decided("denied");
      throw new SwitchyardError("SWY_ERR_AUTH_FORBIDDEN", reason ?? "The caller may not do this.");
    }
    if (result.status !== 200) return unavailable(context, "bad-status", `HTTP ${result.status}`);
    const parsed = principalSchema.safeParse(result.body);
    if (!parsed.success) return unavailable(context, "invalid-answer", parsed.error);
    const { id, team, metadata } = parsed.data;
    const principal: Principal = Object.freeze({
      id,
      ...(team === undefined ? {} : { team }),
      ...(metadata === undefined ? {} : { metadata: Object.freeze(metadata) }),
    });
    if (cache && key) cache.set(key, principal);
    telemetry.decided("allowed");
    return principal;
  };

  return {
    name: PLUGIN_NAME,
    apply(gateway: Gateway) {
      telemetry.attach(gateway.logger);
      gateway.hooks.authenticate.tapPromise({ name: PLUGIN_NAME, stage: settings.stage }, authenticate);
    },
    close: () => client.close(),
  };
}

// The credentials never sit in memory as cache keys: only their digest, with what was asked for.
function cacheKey(context: RequestContext, headers: Record<string, string>): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify([context.operation, context.model, Object.entries(headers).sort()]));
  return hash.digest("base64url");
}

/** Positive answers with an expiry; insertion order doubles as age for eviction. */
class PrincipalCache {
  private readonly entries = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get(key: string): Principal | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= performance.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.principal;
  }

  set(key: string, principal: Principal): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { principal, expiresAt: performance.now() + this.ttlMs });
  }
}
