import type { IncomingMessage, ServerResponse } from "node:http";
import { context, metrics, propagation, trace } from "@opentelemetry/api";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import { type IMetricReader, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { parseOptions } from "@switchyard/core";
import { z } from "zod";

/** Serve Prometheus text: on a port of its own, or (no `port`) through `metricsHandler`. */
export interface PrometheusOptions {
  /** Listen on this port (path `/metrics`); leave out to mount `metricsHandler` on your own server. */
  port?: number;
  /** Interface of the exporter's own server. @default "127.0.0.1" */
  host?: string;
}

/** Export traces and metrics with OTLP over HTTP (JSON). */
export interface OtlpOptions {
  /**
   * The collector's base URL, like `OTEL_EXPORTER_OTLP_ENDPOINT`: traces go to `<url>/v1/traces`, metrics
   * to `<url>/v1/metrics`. E.g. `http://127.0.0.1:4318`.
   */
  url: string;
  /** Headers on every export (e.g. an API key of the telemetry backend). */
  headers?: Record<string, string>;
  /** How often metrics are pushed. @default 60000 */
  metricIntervalMs?: number;
}

/** Options of `startTelemetry`. */
export interface StartTelemetryOptions {
  /** The `service.name` resource attribute. @default "switchyard" */
  serviceName?: string;
  /** Prometheus exporter, or `false`. @default false */
  prometheus?: PrometheusOptions | false;
  /** OTLP exporters for traces and metrics, or `false`. @default false */
  otlp?: OtlpOptions | false;
  /** More span processors, e.g. `new SimpleSpanProcessor(new InMemorySpanExporter())` in tests. @default [] */
  spanProcessors?: SpanProcessor[];
  /** More metric readers, e.g. a reader over an `InMemoryMetricExporter` in tests. @default [] */
  metricReaders?: IMetricReader[];
  /** More resource attributes, e.g. `{ "deployment.environment.name": "prod" }`. @default {} */
  resourceAttributes?: Record<string, string>;
  /** Add host and process resource attributes (and those of `OTEL_RESOURCE_ATTRIBUTES`). @default true */
  detectResources?: boolean;
}

/** A running OpenTelemetry SDK. */
export interface Telemetry {
  /**
   * A node:http request handler answering with Prometheus text, when `prometheus` is on without a `port`:
   * mount it at `/metrics` (the CLI does, behind its admin check).
   */
  readonly metricsHandler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  /** The URL of the exporter's own Prometheus server, when `prometheus.port` was given. */
  readonly prometheusUrl: string | undefined;
  /** Exports what is pending, stops the exporters and unregisters the SDK from the API. Idempotent. */
  shutdown(): Promise<void>;
}

const optionsSchema = z
  .object({
    serviceName: z.string().min(1).default("switchyard"),
    prometheus: z
      .union([
        z.literal(false),
        z
          .object({
            port: z.number().int().min(0).max(65535).optional(),
            host: z.string().min(1).default("127.0.0.1"),
          })
          .strict(),
      ])
      .default(false),
    otlp: z
      .union([
        z.literal(false),
        z
          .object({
            url: z.url({ protocol: /^https?$/ }),
            headers: z.record(z.string(), z.string()).default({}),
            metricIntervalMs: z.number().int().min(1000).default(60_000),
          })
          .strict(),
      ])
      .default(false),
    spanProcessors: z.array(z.custom<SpanProcessor>()).default([]),
    metricReaders: z.array(z.custom<IMetricReader>()).default([]),
    resourceAttributes: z.record(z.string(), z.string()).default({}),
    detectResources: z.boolean().default(true),
  })
  .strict();

/**
 * Starts `@opentelemetry/sdk-node` for a gateway: registers a tracer provider, a meter provider and the W3C
 * trace-context propagator with the OpenTelemetry API, which `@switchyard/core`'s instrumentation then
 * records to. One call per process; `shutdown()` before starting another.
 *
 * ```ts
 * const telemetry = await startTelemetry({ serviceName: "llm-gateway", prometheus: { port: 9464 } });
 * ```
 */
export async function startTelemetry(options: StartTelemetryOptions = {}): Promise<Telemetry> {
  const settings = parseOptions(optionsSchema, options, "telemetry");
  const spanProcessors = [...settings.spanProcessors];
  const metricReaders = [...settings.metricReaders];
  let prometheus: PrometheusExporter | undefined;
  let prometheusUrl: string | undefined;
  if (settings.prometheus !== false) {
    const { port, host } = settings.prometheus;
    prometheus = new PrometheusExporter({ preventServerStart: true, host, port: port ?? 9464 });
    metricReaders.push(prometheus);
    if (port !== undefined) {
      await prometheus.startServer();
      prometheusUrl = `http://${host.includes(":") ? `[${host}]` : host}:${port}/metrics`;
    }
  }
  if (settings.otlp !== false) {
    const { url, headers, metricIntervalMs } = settings.otlp;
    const base = url.replace(/\/+$/, "");
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces`, headers })));
    metricReaders.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics`, headers }),
        exportIntervalMillis: metricIntervalMs,
      }),
    );
  }
  const sdk = new NodeSDK({
    serviceName: settings.serviceName,
    resource: defaultResource().merge(resourceFromAttributes(settings.resourceAttributes)),
    autoDetectResources: settings.detectResources,
    spanProcessors,
    metricReaders,
    // Explicit and empty: otherwise the SDK reads OTEL_*_EXPORTER and defaults to OTLP log export.
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  let stopping: Promise<void> | undefined;
  const handler = prometheus?.getMetricsRequestHandler.bind(prometheus);
  return {
    metricsHandler: prometheus && prometheusUrl === undefined ? handler : undefined,
    prometheusUrl,
    shutdown() {
      stopping ??= sdk.shutdown().finally(() => {
        // Let a later startTelemetry register again (the API refuses a second registration otherwise).
        trace.disable();
        metrics.disable();
        propagation.disable();
        context.disable();
      });
      return stopping;
    },
  };
}
