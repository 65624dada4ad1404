import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Counter, Meter } from "@opentelemetry/api";
import {
  createGateway,
  type Gateway,
  type GatewayOptions,
  type Plugin,
  type Provider,
  silentLogger,
} from "@switchyard/core";
import { createMockUpstream, type MockUpstream, type MockUpstreamOptions } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { afterEach } from "vitest";

/** One call the fake policy service received. */
export interface PolicyCall {
  readonly headers: IncomingHttpHeaders;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON payloads
  readonly body: any;
}

/** How the fake service answers one call. */
export type PolicyHandler = (call: PolicyCall, response: ServerResponse) => void | Promise<void>;

/** A policy service of the user's, faked: node:http on port 0, answering with a swappable handler. */
export interface PolicyService {
  readonly url: string;
  readonly calls: PolicyCall[];
  handler: PolicyHandler;
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Answers `status` with `body` as JSON. */
export function reply(status: number, body?: unknown): PolicyHandler {
  return (_call, response) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(body === undefined ? "" : JSON.stringify(body));
  };
}

/** Answers only after `ms` (a timeout, for any deadline shorter than it). */
export function slow(ms: number, then: PolicyHandler = reply(200, { action: "allow" })): PolicyHandler {
  return (call, response) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        if (!response.destroyed) void then(call, response);
        resolve();
      }, ms);
      response.on("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
}

/** Starts a fake policy service, closed after the test. */
export async function startPolicyService(handler: PolicyHandler): Promise<PolicyService> {
  const calls: PolicyCall[] = [];
  const service: PolicyService = {
    url: "",
    calls,
    handler,
    close: async () => {},
  };
  const server = createServer(async (request, response) => {
    let text = "";
    for await (const chunk of request) text += chunk;
    const call = { headers: request.headers, body: text ? JSON.parse(text) : undefined };
    calls.push(call);
    await service.handler(call, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  Object.assign(service, { url: `http://127.0.0.1:${port}/check`, close });
  cleanups.push(close);
  return service;
}

/** A gateway over a mock upstream, closed after the test. */
export interface Harness {
  readonly gateway: Gateway;
  readonly upstream: MockUpstream;
}

/** Starts a mock upstream and a gateway with `plugins` in front of it (an OpenAI provider named `up`). */
export async function startHarness(
  plugins: readonly Plugin[],
  options: {
    upstream?: MockUpstreamOptions;
    gateway?: GatewayOptions;
    /** Wraps the OpenAI provider (e.g. to add a dialect passthrough). */
    provider?: (provider: Provider) => Provider;
  } = {},
): Promise<Harness> {
  const upstream = await createMockUpstream(options.upstream ?? {});
  const gateway = createGateway({
    logger: silentLogger,
    telemetry: false,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    ...options.gateway,
    plugins,
    providers: [
      (options.provider ?? ((provider) => provider))(
        createOpenAIProvider({
          name: "up",
          baseURL: `${upstream.url}/v1`,
          models: [{ id: "mock-1", operations: ["chat", "completions", "embeddings"] }],
        }),
      ),
    ],
  });
  cleanups.push(async () => {
    await gateway.close({ graceMs: 0 });
    await upstream.close();
    for (const plugin of plugins) await (plugin as { close?: () => Promise<void> }).close?.();
  });
  return { gateway, upstream };
}

/** The outcome of one exchange driven through `gateway.handle()`. */
export interface Exchange {
  status: number;
  headers: Readonly<Record<string, string>>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  json(): any;
}

/** POSTs a JSON body through `gateway.handle()` and reads the whole answer (streams included). */
export async function exchange(
  gateway: Gateway,
  body: unknown,
  options: { path?: string; headers?: Record<string, string> } = {},
): Promise<Exchange> {
  const response = await gateway.handle({
    method: "POST",
    path: options.path ?? "/v1/chat/completions",
    headers: { "content-type": "application/json", ...options.headers },
    body: JSON.stringify(body),
    signal: new AbortController().signal,
  });
  let text = "";
  const payload = response.body;
  if (typeof payload === "string") text = payload;
  else if (payload instanceof Uint8Array) text = Buffer.from(payload).toString();
  else if (payload) for await (const chunk of payload) text += Buffer.from(chunk).toString();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

/** `data:` payloads of an SSE text. */
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

/** The text a chat stream delivered for choice 0, and its events. */
export function streamedText(text: string): { content: string; events: string[] } {
  const events = sseData(text);
  let content = "";
  for (const event of events) {
    if (event === "[DONE]") continue;
    const chunk = JSON.parse(event);
    for (const choice of chunk.choices ?? []) content += choice.delta?.content ?? choice.text ?? "";
  }
  return { content, events };
}

export const chat = (
  content = "Which platform for the night train?",
  extra: Record<string, unknown> = {},
) => ({
  model: "mock-1",
  messages: [{ role: "user", content }],
  ...extra,
});

/** A meter that counts what guardrails record, by `outcome` (and `outcome/detector`). */
export function countingMeter(): { meter: Meter; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const counter = {
    add(value: number, attributes?: Record<string, unknown>) {
      const outcome = String(attributes?.["switchyard.guardrail.outcome"]);
      const detector = attributes?.["switchyard.guardrail.detector"];
      const key = detector === undefined ? outcome : `${outcome}/${String(detector)}`;
      counts.set(key, (counts.get(key) ?? 0) + value);
    },
  } as unknown as Counter;
  return { meter: { createCounter: () => counter } as unknown as Meter, counts };
}

/** The JSON body of the last request the upstream received. */
// biome-ignore lint/suspicious/noExplicitAny: recorded JSON bodies
export function lastSent(upstream: MockUpstream): any {
  const last = upstream.requests.at(-1);
  if (last === undefined) throw new Error("the upstream received no request");
  return last.body;
}
