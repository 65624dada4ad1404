import { keysConfigSchema } from "@switchyard/keys";
import { z } from "zod";
import { adminConfigSchema, telemetryConfigSchema } from "./telemetry-config.js";

const providerBase = {
  name: z
    .string()
    .regex(/^[\w.-]+$/)
    .optional(),
};

/** `{ "type": "openai", ... }`: OpenAI or any OpenAI-compatible server. Other keys go to the provider. */
const openaiProviderConfig = z.looseObject({ type: z.literal("openai"), ...providerBase });
/** `{ "type": "mock", ... }`: the embedded fake model. Other keys go to the provider. */
const mockProviderConfig = z.looseObject({ type: z.literal("mock"), ...providerBase });
/** Anthropic, Gemini, Azure OpenAI, Replicate: other keys go to the provider's factory, which validates them. */
const anthropicProviderConfig = z.looseObject({ type: z.literal("anthropic"), ...providerBase });
const geminiProviderConfig = z.looseObject({ type: z.literal("gemini"), ...providerBase });
const azureProviderConfig = z.looseObject({ type: z.literal("azure-openai"), ...providerBase });
const replicateProviderConfig = z.looseObject({
  type: z.literal("replicate"),
  ...providerBase,
  // Templates are functions in code; the config names a built-in one.
  template: z.enum(["transcript", "llama3"]).optional(),
});

const apiKeyConfig = z.union([
  z
    .object({
      id: z.string().min(1),
      key: z.string().min(16, "keys must be at least 16 characters"),
      team: z.string().optional(),
    })
    .strict(),
  z
    .object({
      id: z.string().min(1),
      sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "64 hex digits"),
      team: z.string().optional(),
    })
    .strict(),
]);

/** `server.tls`: certificate and key files (PEM), re-read on SIGHUP. Relative paths: from the config file's directory. */
const tlsConfigSchema = z
  .object({
    cert: z.string().min(1),
    key: z.string().min(1),
  })
  .strict();

/** The `server` key: where and how to listen, and the HTTP server's own defences. */
export const serverConfigSchema = z
  .object({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(8787),
    pathPrefix: z
      .string()
      .regex(/^(\/[\w.-]+)*$/, "a path like /llm")
      .default(""),
    graceMs: z.number().int().nonnegative().default(10_000),
    headersTimeoutMs: z.number().int().positive().default(30_000),
    requestTimeoutMs: z.number().int().positive().default(120_000),
    keepAliveTimeoutMs: z.number().int().positive().default(65_000),
    maxHeaderSizeBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
    // Per process: with workers, each worker has its own cap.
    maxConnections: z.number().int().nonnegative().default(0),
    tls: tlsConfigSchema.optional(),
    workers: z.union([z.number().int().min(1).max(1024), z.literal("auto")]).default(1),
    allowPerWorkerLimits: z.boolean().default(false),
  })
  .strict()
  .refine((server) => server.headersTimeoutMs <= server.requestTimeoutMs, {
    message: "headersTimeoutMs must not be longer than requestTimeoutMs",
    path: ["headersTimeoutMs"],
  });

/** The `overload` key: admission control (core's `overload` option) and per-upstream caps. */
const overloadConfigSchema = z
  .object({
    maxInFlight: z.number().int().nonnegative().default(0),
    maxQueue: z.number().int().nonnegative().default(0),
    queueTimeoutMs: z.number().int().positive().default(5_000),
    upstream: z
      .object({
        maxInFlightPerEndpoint: z.number().int().nonnegative().default(0),
        providers: z.record(z.string(), z.number().int().nonnegative()).default({}),
        retryAfterMs: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** `rateLimit.store`: `"memory"` (per process) or a Redis server shared by every worker and replica. */
const limiterStoreConfigSchema = z.union([
  z.literal("memory"),
  z
    .object({
      type: z.literal("redis"),
      url: z.string().regex(/^rediss?:\/\//, "a redis:// or rediss:// URL"),
      prefix: z.string().optional(),
      hashTag: z.enum(["prefix", "subject"]).optional(),
      timeoutMs: z.number().int().positive().optional(),
    })
    .strict(),
]);

/**
 * The `rateLimit` key: the options of `createRateLimitPlugin` (validated by the plugin's own schema, so
 * its errors name the key), with `store` as data instead of an object.
 */
const rateLimitConfigSchema = z.looseObject({
  store: limiterStoreConfigSchema.default("memory"),
});

/** The CLI's JSON config file. Documented in docs/reference/configuration.md. */
export const configSchema = z
  .object({
    $schema: z.string().optional(),
    server: serverConfigSchema.default(serverConfigSchema.parse({})),
    providers: z
      .array(
        z.discriminatedUnion("type", [
          openaiProviderConfig,
          mockProviderConfig,
          anthropicProviderConfig,
          geminiProviderConfig,
          azureProviderConfig,
          replicateProviderConfig,
        ]),
      )
      .min(1, "at least one provider is needed"),
    auth: z
      .object({
        required: z.boolean().default(true),
        keys: z.array(apiKeyConfig).default([]),
      })
      .strict()
      .optional(),
    /** Inbound dialects served besides OpenAI Chat Completions. */
    dialects: z
      .array(z.enum(["anthropic", "responses"]))
      .refine((names) => new Set(names).size === names.length, "each dialect once")
      .default([]),
    /** Guardrail and external policy plugins; their own schemas validate the inner values. */
    guardrails: z
      .object({
        externalAuth: z.record(z.string(), z.unknown()).optional(),
        denylists: z.array(z.record(z.string(), z.unknown())).optional(),
        piiRedaction: z.union([z.literal(true), z.record(z.string(), z.unknown())]).optional(),
        webhooks: z.array(z.record(z.string(), z.unknown())).optional(),
      })
      .strict()
      .optional(),
    /** The response cache (`@switchyard/cache`); its own schema validates the values. */
    cache: z
      .looseObject({
        store: z.looseObject({ type: z.enum(["memory", "redis"]).default("memory") }).optional(),
      })
      .optional(),
    /** Embeddings micro-batching (`@switchyard/cache`). */
    embeddingsBatching: z.record(z.string(), z.unknown()).optional(),
    /** Virtual keys, budgets and spend (`@switchyard/keys`). */
    keys: keysConfigSchema.optional(),
    bodyLimitBytes: z.number().int().positive().optional(),
    overload: overloadConfigSchema.optional(),
    rateLimit: rateLimitConfigSchema.optional(),
    timeouts: z
      .object({
        connectMs: z.number().positive().optional(),
        firstByteMs: z.number().positive().optional(),
        idleMs: z.number().positive().optional(),
        totalMs: z.number().positive().optional(),
        firstTokenMs: z.number().positive().optional(),
      })
      .strict()
      .optional(),
    // Validated by the plugins' own schemas (one source of truth); their errors name the key's path.
    retry: z.union([z.literal(false), z.record(z.string(), z.unknown())]).optional(),
    routes: z.array(z.record(z.string(), z.unknown())).optional(),
    loadBalancing: z.record(z.string(), z.unknown()).optional(),
    circuitBreaker: z.union([z.literal(false), z.record(z.string(), z.unknown())]).optional(),
    telemetry: telemetryConfigSchema.optional(),
    admin: adminConfigSchema.optional(),
    log: z
      .object({ level: z.enum(["debug", "info", "warn", "error", "silent"]).default("info") })
      .strict()
      .default({ level: "info" }),
  })
  .strict()
  .superRefine((config, issues) => {
    // Someone must be able to authenticate when auth is required: static keys, virtual keys or an external service.
    if (
      config.auth?.required &&
      config.auth.keys.length === 0 &&
      !config.keys &&
      !config.guardrails?.externalAuth
    ) {
      issues.addIssue({
        code: "custom",
        message: "auth.required is true but no keys are configured",
        path: ["auth", "keys"],
      });
    }
    if (config.auth?.keys.length && config.guardrails?.externalAuth) {
      issues.addIssue({
        code: "custom",
        message:
          "static auth.keys answer 401 for keys they do not know before the external service is asked: use one",
        path: ["guardrails", "externalAuth"],
      });
    }
  });

/** A validated config. */
export type SwitchyardConfig = z.infer<typeof configSchema>;
