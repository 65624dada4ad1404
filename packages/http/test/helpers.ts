import { createGateway, type Gateway, type GatewayOptions, silentLogger } from "@switchyard/core";
import { createMockUpstream, type MockUpstream, type MockUpstreamOptions } from "@switchyard/provider-mock";
import { createOpenAIProvider, type OpenAIProviderOptions } from "@switchyard/provider-openai";
import type { CorsOptions } from "../src/cors.js";
import { type AdapterHarness, nodeAdapter, type RunningAdapter } from "./adapters.js";

/** A running stack: a mock upstream, a gateway with an OpenAI provider pointed at it, an adapter's server. */
export interface Stack {
  upstream: MockUpstream;
  gateway: Gateway;
  server: RunningAdapter;
  /** The gateway's base URL (the mount path included). */
  url: string;
  close(): Promise<void>;
}

/** Options of `startStack`. */
export interface StackOptions {
  upstream?: MockUpstreamOptions;
  provider?: OpenAIProviderOptions;
  gateway?: GatewayOptions;
  /** The adapter serving the gateway. @default node */
  adapter?: AdapterHarness;
  /** The adapter's settings. @default root mount, 5 s grace, the gateway's body limit */
  listen?: { pathPrefix?: string; graceMs?: number; cors?: CorsOptions };
  configure?: (gateway: Gateway) => void;
}

/** Starts a stack on 127.0.0.1, port 0 everywhere. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const upstream = await createMockUpstream({ apiKey: "sk-upstream-secret", ...options.upstream });
  const gateway = createGateway({
    logger: silentLogger,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    ...options.gateway,
    providers: [
      createOpenAIProvider({
        name: "up",
        baseURL: `${upstream.url}/v1`,
        apiKey: "sk-upstream-secret",
        models: [{ id: "mock-1", operations: ["chat", "completions", "embeddings"] }, "chat-only"],
        ...options.provider,
      }),
      ...(options.gateway?.providers ?? []),
    ],
  });
  options.configure?.(gateway);
  const server = await (options.adapter ?? nodeAdapter).start(gateway, {
    pathPrefix: options.listen?.pathPrefix ?? "",
    graceMs: options.listen?.graceMs ?? 5_000,
    cors: options.listen?.cors,
    bodyLimitBytes: options.gateway?.bodyLimitBytes ?? 10 * 1024 * 1024,
  });
  return {
    upstream,
    gateway,
    server,
    url: server.url,
    async close() {
      await server.close();
      await upstream.close();
    },
  };
}

/** POSTs JSON and returns status, headers and parsed body. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Parses an SSE body into its `data:` payloads. */
export function sseData(text: string): string[] {
  return text
    .split("\n\n")
    .filter((event) => event.trim() !== "")
    .map((event) =>
      event
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n"),
    );
}

export const chatBody = (extra: Record<string, unknown> = {}) => ({
  model: "mock-1",
  messages: [{ role: "user", content: "Where does the night train go?" }],
  ...extra,
});

/** The same request, typed for the openai SDK. */
export const sdkChat = {
  model: "mock-1",
  messages: [{ role: "user" as const, content: "Where does the night train go?" }],
};
