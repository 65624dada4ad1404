/**
 * Child process: the Switchyard gateway under test, on node:http, forwarding to the mock upstream through the
 * OpenAI provider, with three taps so the hooks really run: API-key auth (`authenticate`), an in-memory
 * rate-limit counter (`rateLimit`) and a metrics counter (`requestCompleted` / `requestFailed`).
 */
import { createApiKeyAuthPlugin, createGateway, createJsonLogger } from "@switchyard/core";
import { listen } from "@switchyard/http/node";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { readChildConfig, runChild } from "./child-runtime.js";
import type { ServerReadyInfo } from "./ipc-protocol.js";
import { createMetricsTapPlugin, type MetricsSnapshot } from "./metrics-tap-plugin.js";
import { createRateLimitTapPlugin } from "./rate-limit-tap-plugin.js";

/** The gateway child's config. */
export interface GatewayProcessConfig {
  /** Base URL of the mock upstream, without `/v1`. */
  readonly upstreamUrl: string;
  /** The one API key clients must present. */
  readonly apiKey: string;
  /** The model the benchmark requests. */
  readonly model: string;
}

/** The tasks the gateway child answers. */
export type GatewayTask = { readonly kind: "metrics" };

const config = readChildConfig<GatewayProcessConfig>();
const metrics = createMetricsTapPlugin();
const gateway = createGateway({
  providers: [createOpenAIProvider({ baseURL: `${config.upstreamUrl}/v1`, models: [config.model] })],
  plugins: [
    createApiKeyAuthPlugin({ keys: [{ id: "bench", key: config.apiKey }] }),
    createRateLimitTapPlugin(),
    metrics,
  ],
  requireAuth: true,
  // Warnings and errors still show (a misconfigured run must be visible); nothing is logged per request.
  logger: createJsonLogger("warn"),
});
const server = await listen(gateway, { host: "127.0.0.1", port: 0, graceMs: 2_000 });

runChild<GatewayTask, MetricsSnapshot>({ url: server.url, pid: process.pid } satisfies ServerReadyInfo, {
  onTask: async () => metrics.snapshot(),
  onShutdown: () => server.close(),
});
