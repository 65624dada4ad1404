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

/** The CLI's JSON config file. Documented in docs/reference/configuration.md. */
export const configSchema = z
  .object({
    $schema: z.string().optional(),
    server: z
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
      })
      .strict()
      .default({
        host: "127.0.0.1",
        port: 8787,
        pathPrefix: "",
        graceMs: 10_000,
        headersTimeoutMs: 30_000,
        requestTimeoutMs: 120_000,
        keepAliveTimeoutMs: 65_000,
      }),
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
      .refine((auth) => !auth.required || auth.keys.length > 0, {
        message: "auth.required is true but no keys are configured",
        path: ["keys"],
      })
      .optional(),
    bodyLimitBytes: z.number().int().positive().optional(),
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
  .strict();

/** A validated config. */
export type SwitchyardConfig = z.infer<typeof configSchema>;
