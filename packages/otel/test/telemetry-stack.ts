import type { Attributes } from "@opentelemetry/api";
import {
  type DataPoint,
  type Histogram,
  type MetricData,
  MetricReader,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import {
  createApiKeyAuthPlugin,
  createGateway,
  type Gateway,
  type GatewayOptions,
  type Logger,
  silentLogger,
} from "@switchyard/core";
import { listen, type NodeGatewayServer } from "@switchyard/http/node";
import { createMockUpstream, type MockUpstream, type MockUpstreamOptions } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { startTelemetry, type Telemetry } from "../src/index.js";

/** A metric reader the test pulls from: `collect()` returns what the SDK has aggregated so far. */
export class PullMetricReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** The SDK, started with in-memory exporters. */
export interface TestTelemetry {
  readonly telemetry: Telemetry;
  readonly spans: InMemorySpanExporter;
  readonly reader: PullMetricReader;
  /** Every data point of metric `name` whose attributes include `where`. */
  points(name: string, where?: Attributes): Promise<Array<DataPoint<number | Histogram>>>;
  /** The finished spans whose attributes include `where`. */
  finished(where?: Attributes): ReadableSpan[];
}

/** Starts `@switchyard/otel` with an in-memory span exporter, a pull reader and the Prometheus handler. */
export async function startTestTelemetry(): Promise<TestTelemetry> {
  const spans = new InMemorySpanExporter();
  const reader = new PullMetricReader();
  const telemetry = await startTelemetry({
    serviceName: "switchyard-test",
    prometheus: {},
    spanProcessors: [new SimpleSpanProcessor(spans)],
    metricReaders: [reader],
    detectResources: false,
  });
  return {
    telemetry,
    spans,
    reader,
    async points(name, where = {}) {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new Error(`metric collection failed: ${errors.join(", ")}`);
      return findMetric(resourceMetrics, name).flatMap((metric) =>
        (metric.dataPoints as Array<DataPoint<number | Histogram>>).filter((point) =>
          matches(point.attributes, where),
        ),
      );
    },
    finished(where = {}) {
      return spans.getFinishedSpans().filter((span) => matches(span.attributes, where));
    },
  };
}

function findMetric(resourceMetrics: ResourceMetrics, name: string): MetricData[] {
  return resourceMetrics.scopeMetrics.flatMap((scope) =>
    scope.metrics.filter((metric) => metric.descriptor.name === name),
  );
}

function matches(attributes: Attributes, where: Attributes): boolean {
  return Object.entries(where).every(([key, value]) => attributes[key] === value);
}

/** A mock upstream, a gateway with OpenAI providers pointed at it, served on node:http. */
export interface TelemetryStack {
  readonly upstream: MockUpstream;
  readonly backup: MockUpstream;
  readonly gateway: Gateway;
  readonly server: NodeGatewayServer;
  readonly url: string;
  close(): Promise<void>;
}

/** Keys the stack's gateway accepts: `Bearer <key>` authenticates as `id`. */
export const apiKeys = [
  { id: "team-alpha", key: "sk-gateway-alpha-0123456789abcdef" },
  { id: "team-beta", key: "sk-gateway-beta-0123456789abcdef" },
  { id: "team-gamma", key: "sk-gateway-gamma-0123456789abcdef" },
  { id: "team-delta", key: "sk-gateway-delta-0123456789abcdef" },
  { id: "team-epsilon", key: "sk-gateway-epsilon-0123456789abcdef" },
] as const;

/** The upstream key the providers send (and the mock upstream requires). */
export const upstreamKey = "sk-upstream-secret-0123456789abcdef";

/**
 * Starts the stack. Model `mock-1` goes to provider `up`; model `fallback-1` tries `up` then `backup`
 * (both serving `mock-1`).
 */
export async function startTelemetryStack(
  options: {
    upstream?: MockUpstreamOptions;
    gateway?: GatewayOptions;
    logger?: Logger;
    configure?: (gateway: Gateway) => void;
  } = {},
): Promise<TelemetryStack> {
  const upstream = await createMockUpstream({ apiKey: upstreamKey, ...options.upstream });
  const backup = await createMockUpstream({ apiKey: upstreamKey });
  const up = createOpenAIProvider({
    name: "up",
    baseURL: `${upstream.url}/v1`,
    apiKey: upstreamKey,
    models: [{ id: "mock-1", price: { inputPerMillion: 2, outputPerMillion: 8 } }],
  });
  const backupProvider = createOpenAIProvider({
    name: "backup",
    baseURL: `${backup.url}/v1`,
    apiKey: upstreamKey,
    models: [],
  });
  const gateway = createGateway({
    logger: options.logger ?? silentLogger,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    plugins: [createApiKeyAuthPlugin({ keys: apiKeys.map((entry) => ({ ...entry })) })],
    ...options.gateway,
    providers: [up, backupProvider],
  });
  gateway.hooks.resolveRoute.tap({ name: "test-fallback", stage: 10 }, (plan, context) =>
    context.model === "fallback-1"
      ? {
          targets: [
            { provider: up, model: "mock-1" },
            { provider: backupProvider, model: "mock-1" },
          ],
        }
      : plan,
  );
  options.configure?.(gateway);
  const server = await listen(gateway, { port: 0, graceMs: 2_000 });
  return {
    upstream,
    backup,
    gateway,
    server,
    url: server.url,
    async close() {
      await server.close();
      await upstream.close();
      await backup.close();
    },
  };
}

/** POSTs a chat request as `key` and reads the whole answer. */
export async function chat(
  url: string,
  key: string,
  body: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify({
      model: "mock-1",
      messages: [{ role: "user", content: "Where does the night train go?" }],
      ...body,
    }),
  });
  return { status: response.status, text: await response.text() };
}

/** The usage an SSE stream reported in its usage chunk. */
export function streamUsage(text: string): { prompt_tokens: number; completion_tokens: number } | undefined {
  for (const event of text.split("\n\n")) {
    if (!event.startsWith("data: {")) continue;
    const chunk = JSON.parse(event.slice(6)) as {
      usage?: { prompt_tokens: number; completion_tokens: number };
    };
    if (chunk.usage) return chunk.usage;
  }
  return undefined;
}
