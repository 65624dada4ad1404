import { z } from "zod";

/**
 * The config file's `telemetry` key: the OpenTelemetry SDK (Prometheus, OTLP), the dashboard and the
 * request log. Documented in docs/reference/configuration.md and docs/guides/observability.md.
 */
export const telemetryConfigSchema = z
  .object({
    /** `service.name` of traces and metrics. */
    serviceName: z.string().min(1).default("switchyard"),
    /** `true`: Prometheus text at `/metrics` on the gateway's port (admin access); `{ port, host }`: a port of its own. */
    prometheus: z
      .union([
        z.boolean(),
        z
          .object({
            port: z.number().int().min(1).max(65535),
            host: z.string().min(1).default("127.0.0.1"),
          })
          .strict(),
      ])
      .default(false),
    /** OTLP/HTTP export of traces and metrics to a collector. */
    otlp: z
      .object({
        url: z.url({ protocol: /^https?$/ }),
        headers: z.record(z.string(), z.string()).default({}),
        metricIntervalMs: z.number().int().min(1000).default(60_000),
      })
      .strict()
      .optional(),
    /** The live dashboard at `/dashboard` (admin access). */
    dashboard: z.boolean().default(false),
    /** One log line per request. */
    requestLog: z.boolean().default(true),
    /** Label metrics with the principal (key) id. */
    principalAttribute: z.boolean().default(true),
  })
  .strict();

/** The config file's `admin` key: what protects `/metrics` and `/dashboard`. */
export const adminConfigSchema = z
  .object({
    /** Required as `Authorization: Bearer <key>` or as the password of HTTP Basic auth. Use `${ENV}`. */
    key: z.string().min(16, "the admin key must be at least 16 characters"),
  })
  .strict();

/** A validated `telemetry` key. */
export type TelemetryConfig = z.infer<typeof telemetryConfigSchema>;
