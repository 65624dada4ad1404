import { trace } from "@opentelemetry/api";
import { createMockUpstream, type MockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway, type Gateway, type GatewayOptions } from "../gateway.js";
import { silentLogger } from "../logger.js";

// Without an OpenTelemetry SDK the plugin records nothing; it only forwards the client's trace context.
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

let upstream: MockUpstream;
const gateways: Gateway[] = [];

beforeAll(async () => {
  upstream = await createMockUpstream();
});

afterAll(async () => {
  for (const gateway of gateways) await gateway.close({ graceMs: 0 });
  await upstream.close();
});

function gatewayWith(options: GatewayOptions = {}): Gateway {
  const gateway = createGateway({
    logger: silentLogger,
    ...options,
    providers: [createOpenAIProvider({ name: "up", baseURL: `${upstream.url}/v1`, models: ["mock-1"] })],
  });
  gateways.push(gateway);
  return gateway;
}

async function send(gateway: Gateway, headers: Record<string, string> = {}) {
  const response = await gateway.handle({
    method: "POST",
    path: "/v1/chat/completions",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "hi" }] }),
    signal: new AbortController().signal,
  });
  expect(response.status).toBe(200);
  return upstream.requests.at(-1)?.headers ?? {};
}

describe("telemetry without an SDK", () => {
  it("is the default and is a no-op: no tracer is registered", () => {
    expect(trace.getTracerProvider().getTracer("probe").startSpan("probe").isRecording()).toBe(false);
  });

  it("forwards a well-formed client traceparent and tracestate to the upstream unchanged", async () => {
    const gateway = gatewayWith();
    const headers = await send(gateway, { traceparent: TRACEPARENT, tracestate: "vendor=abc" });
    expect(headers.traceparent).toBe(TRACEPARENT);
    expect(headers.tracestate).toBe("vendor=abc");
  });

  it("sends no trace context when the client sent none, or a malformed one", async () => {
    const gateway = gatewayWith();
    expect((await send(gateway)).traceparent).toBeUndefined();
    const malformed = await send(gateway, { traceparent: "00-not-a-trace\r\nx-evil: 1" });
    expect(malformed.traceparent).toBeUndefined();
  });

  it("forwards nothing with forwardTraceContext: false or telemetry: false", async () => {
    const quiet = gatewayWith({ telemetry: { forwardTraceContext: false } });
    expect((await send(quiet, { traceparent: TRACEPARENT })).traceparent).toBeUndefined();
    const off = gatewayWith({ telemetry: false });
    expect((await send(off, { traceparent: TRACEPARENT })).traceparent).toBeUndefined();
  });

  it("refuses unknown options at construction", () => {
    expect(() => gatewayWith({ telemetry: { trace: true } as never })).toThrow(/telemetry options/);
  });
});
