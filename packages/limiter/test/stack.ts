import type { Counter, Meter } from "@opentelemetry/api";
import { createApiKeyAuthPlugin, createGateway, type Gateway, type Logger } from "@switchyard/core";
import { listen, type NodeGatewayServer } from "@switchyard/http/node";
import { createMockProvider, type MockProviderOptions, type MockUpstream } from "@switchyard/provider-mock";
import type { LimitAdjustment, LimiterStore, RateLimitPlugin } from "../src/index.js";

/** A gateway with the rate-limit plugin, API keys `sk-alice` (team research) and `sk-bob`, on node:http. */
export interface LimitedStack {
  readonly gateway: Gateway;
  readonly server: NodeGatewayServer;
  readonly url: string;
  readonly upstream: MockUpstream;
  readonly logs: Array<{ level: string; object: Record<string, unknown>; message?: string }>;
  close(): Promise<void>;
}

export async function startLimitedStack(
  plugin: RateLimitPlugin,
  options: { upstream?: MockProviderOptions; configure?: (gateway: Gateway) => void } = {},
): Promise<LimitedStack> {
  const logs: LimitedStack["logs"] = [];
  const record =
    (level: string) =>
    (object: Record<string, unknown>, message?: string): void =>
      void logs.push({ level, object, message });
  const logger: Logger = {
    debug: record("debug"),
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
  };
  const provider = createMockProvider(options.upstream);
  const gateway = createGateway({
    logger,
    retry: false,
    providers: [provider],
    plugins: [
      createApiKeyAuthPlugin({
        keys: [
          { id: "alice", team: "research", key: "sk-alice" },
          { id: "bob", key: "sk-bob" },
        ],
      }),
      plugin,
    ],
  });
  options.configure?.(gateway);
  const server = await listen(gateway, { port: 0, graceMs: 1_000 });
  return {
    gateway,
    server,
    url: `${server.url}/v1/chat/completions`,
    upstream: provider.upstream as MockUpstream,
    logs,
    close: () => server.close(),
  };
}

/** POSTs a chat request as `key` (none when undefined); returns status, headers and the parsed body. */
export async function chat(
  url: string,
  key: string | undefined,
  body: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      ...headers,
    },
    body: JSON.stringify({
      model: "mock-1",
      messages: [{ role: "user", content: "Where does the night train go?" }],
      ...body,
    }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, body: parsed };
}

/** A store that passes everything to `inner` and records every adjustment. */
export function recordingStore(inner: LimiterStore): LimiterStore & { adjustments: LimitAdjustment[] } {
  const adjustments: LimitAdjustment[] = [];
  return {
    adjustments,
    consume: (checks) => inner.consume(checks),
    adjust(items) {
      adjustments.push(...items);
      return inner.adjust(items);
    },
  };
}

/** A meter that records what its counters count. */
export function recordingMeter(): Meter & {
  counts: Array<{ name: string; value: number; attributes: unknown }>;
} {
  const counts: Array<{ name: string; value: number; attributes: unknown }> = [];
  return {
    counts,
    createCounter: (name: string) =>
      ({
        add: (value: number, attributes?: unknown) => void counts.push({ name, value, attributes }),
      }) as Counter,
  } as unknown as Meter & { counts: Array<{ name: string; value: number; attributes: unknown }> };
}
