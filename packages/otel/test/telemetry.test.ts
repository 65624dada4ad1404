import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { Histogram } from "@opentelemetry/sdk-metrics";
import { createCircuitBreakerPlugin } from "@switchyard/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiKeys,
  chat,
  startTelemetryStack,
  startTestTelemetry,
  streamUsage,
  type TelemetryStack,
  type TestTelemetry,
} from "./telemetry-stack.js";

const [alpha, beta, gamma, delta, epsilon] = apiKeys;
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN_ID = "00f067aa0ba902b7";

let otel: TestTelemetry;
let stack: TelemetryStack;

beforeAll(async () => {
  otel = await startTestTelemetry();
  stack = await startTelemetryStack({
    configure(gateway) {
      // Stands in for @switchyard/limiter: one decision per request, `team-delta` is always refused.
      gateway.hooks.rateLimit.tap("test-limiter", (context) => {
        const allowed = context.principal?.id !== delta.id;
        gateway.events.emit("limit:decision", context, {
          limit: "per-key-rpm",
          unit: "requests",
          allowed,
          key: context.principal?.id ?? "anonymous",
        });
        return allowed ? undefined : { message: "Too many requests for this key.", retryAfterMs: 1_000 };
      });
      gateway.use(createCircuitBreakerPlugin({ consecutiveFailures: 3, cooldownMs: 60_000 }));
    },
  });
});

afterAll(async () => {
  await stack?.close();
  await otel?.telemetry.shutdown();
});

function histogram(point: { value: unknown } | undefined): Histogram {
  expect(point, "data point").toBeDefined();
  return point?.value as Histogram;
}

describe("a request and its attempt, traced", () => {
  it("makes a SERVER span per request and a CLIENT span per attempt, children of the client's trace", async () => {
    const response = await chat(
      stack.url,
      alpha.key,
      {},
      { traceparent: `00-${TRACE_ID}-${CLIENT_SPAN_ID}-01` },
    );
    expect(response.status).toBe(200);
    const usage = JSON.parse(response.text).usage as { prompt_tokens: number; completion_tokens: number };
    expect(usage.prompt_tokens).toBeGreaterThan(0);

    const [request] = otel.finished({ "switchyard.principal.id": alpha.id });
    expect(request).toBeDefined();
    if (!request) return;
    expect(request.name).toBe("chat mock-1");
    expect(request.kind).toBe(SpanKind.SERVER);
    expect(request.spanContext().traceId).toBe(TRACE_ID);
    expect(request.parentSpanContext?.spanId).toBe(CLIENT_SPAN_ID);
    expect(request.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "mock-1",
      "gen_ai.provider.name": "up",
      "gen_ai.usage.input_tokens": usage.prompt_tokens,
      "gen_ai.usage.output_tokens": usage.completion_tokens,
      "http.response.status_code": 200,
      "switchyard.attempts": 1,
      "switchyard.stream": false,
    });
    expect(request.attributes["switchyard.cost.usd"]).toBeCloseTo(
      (usage.prompt_tokens * 2 + usage.completion_tokens * 8) / 1_000_000,
      12,
    );
    expect(request.status.code).toBe(SpanStatusCode.UNSET);

    const attempts = otel.spans
      .getFinishedSpans()
      .filter((span) => span.parentSpanContext?.spanId === request.spanContext().spanId);
    expect(attempts).toHaveLength(1);
    const [attempt] = attempts;
    expect(attempt?.name).toBe("chat mock-1");
    expect(attempt?.kind).toBe(SpanKind.CLIENT);
    expect(attempt?.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "up",
      "gen_ai.request.model": "mock-1",
      "gen_ai.usage.input_tokens": usage.prompt_tokens,
      "gen_ai.usage.output_tokens": usage.completion_tokens,
      "http.response.status_code": 200,
      "server.address": "127.0.0.1",
      "server.port": stack.upstream.port,
      "switchyard.endpoint.id": "up#0",
    });

    // The upstream saw the attempt span as its parent, in the client's trace.
    const received = stack.upstream.requests.at(-1);
    expect(received?.headers.traceparent).toBe(`00-${TRACE_ID}-${attempt?.spanContext().spanId}-01`);
  });

  it("records a failed attempt, the retry and the fallback as spans and counters", async () => {
    stack.upstream.enqueueFault({ kind: "status", status: 500 });
    stack.upstream.enqueueFault({ kind: "status", status: 500 });
    const response = await chat(stack.url, beta.key, { model: "fallback-1" });
    expect(response.status).toBe(200);

    const [request] = otel.finished({ "switchyard.principal.id": beta.id });
    expect(request?.attributes["switchyard.attempts"]).toBe(3);
    expect(request?.attributes["gen_ai.provider.name"]).toBe("backup");
    const attempts = otel.spans
      .getFinishedSpans()
      .filter((span) => span.parentSpanContext?.spanId === request?.spanContext().spanId)
      .sort(
        (a, b) => Number(a.attributes["switchyard.attempt"]) - Number(b.attributes["switchyard.attempt"]),
      );
    expect(
      attempts.map((span) => [span.attributes["gen_ai.provider.name"], span.attributes["error.type"]]),
    ).toEqual([
      ["up", "SWY_ERR_UPSTREAM_SERVER"],
      ["up", "SWY_ERR_UPSTREAM_SERVER"],
      ["backup", undefined],
    ]);
    expect(attempts.map((span) => span.status.code)).toEqual([
      SpanStatusCode.ERROR,
      SpanStatusCode.ERROR,
      SpanStatusCode.UNSET,
    ]);

    const retries = await otel.points("switchyard.retries", { "gen_ai.provider.name": "up" });
    expect(retries.map((point) => [point.attributes["error.type"], point.value])).toEqual([
      ["SWY_ERR_UPSTREAM_SERVER", 1],
    ]);
    const fallbacks = await otel.points("switchyard.fallbacks", { "gen_ai.provider.name": "up" });
    expect(fallbacks.map((point) => point.value)).toEqual([1]);
    const failedAttempts = await otel.points("gen_ai.client.operation.duration", {
      "gen_ai.provider.name": "up",
      "error.type": "SWY_ERR_UPSTREAM_SERVER",
    });
    expect(histogram(failedAttempts[0]).count).toBe(2);
  });
});

describe("metrics", () => {
  it("records token usage equal to the usage the response reported, per principal", async () => {
    const first = await chat(stack.url, gamma.key);
    const second = await chat(stack.url, gamma.key, {
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    const usages = [JSON.parse(first.text).usage, streamUsage(second.text)];
    const input = usages.reduce((sum, usage) => sum + usage.prompt_tokens, 0);
    const output = usages.reduce((sum, usage) => sum + usage.completion_tokens, 0);

    const where = { "switchyard.principal.id": gamma.id, "gen_ai.provider.name": "up" };
    const [inputPoint] = await otel.points("gen_ai.client.token.usage", {
      ...where,
      "gen_ai.token.type": "input",
    });
    const [outputPoint] = await otel.points("gen_ai.client.token.usage", {
      ...where,
      "gen_ai.token.type": "output",
    });
    expect(histogram(inputPoint)).toMatchObject({ count: 2, sum: input });
    expect(histogram(outputPoint)).toMatchObject({ count: 2, sum: output });
    expect(inputPoint?.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "mock-1",
    });

    const requests = await otel.points("switchyard.requests", { "switchyard.principal.id": gamma.id });
    expect(requests.map((point) => [point.attributes["http.response.status_code"], point.value])).toEqual([
      [200, 2],
    ]);
    const durations = await otel.points("gen_ai.server.request.duration", {
      "switchyard.principal.id": gamma.id,
    });
    expect(histogram(durations[0]).count).toBe(2);
    expect(histogram(durations[0]).sum).toBeGreaterThan(0);
    // Only the streamed request has a time to first token.
    const ttft = await otel.points("gen_ai.server.time_to_first_token", {
      "switchyard.principal.id": gamma.id,
    });
    expect(histogram(ttft[0]).count).toBe(1);
    const [cost] = await otel.points("switchyard.cost", { "switchyard.principal.id": gamma.id });
    expect(cost?.value).toBeCloseTo((input * 2 + output * 8) / 1_000_000, 12);
  });

  it("counts limiter decisions and reports the rate-limited request", async () => {
    const refused = await chat(stack.url, delta.key);
    expect(refused.status).toBe(429);
    const decisions = await otel.points("switchyard.rate_limit.decisions", {
      "switchyard.principal.id": delta.id,
    });
    expect(
      decisions.map((point) => [
        point.attributes["switchyard.limit.name"],
        point.attributes["switchyard.limit.outcome"],
        point.value,
      ]),
    ).toEqual([["per-key-rpm", "denied", 1]]);
    const requests = await otel.points("switchyard.requests", { "switchyard.principal.id": delta.id });
    expect(
      requests.map((point) => [
        point.attributes["error.type"],
        point.attributes["http.response.status_code"],
        point.value,
      ]),
    ).toEqual([["SWY_ERR_RATE_LIMITED", 429, 1]]);
    const [span] = otel.finished({ "switchyard.principal.id": delta.id });
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes["error.type"]).toBe("SWY_ERR_RATE_LIMITED");
  });

  it("reports breaker state changes as a gauge and a counter", async () => {
    // Three failures in a row open `up#0` (consecutiveFailures: 3): two attempts of one request, one of
    // the next. The route has no fallback.
    for (let index = 0; index < 3; index++) stack.upstream.enqueueFault({ kind: "status", status: 503 });
    expect((await chat(stack.url, epsilon.key)).status).toBeGreaterThanOrEqual(500);
    expect((await chat(stack.url, epsilon.key)).status).toBeGreaterThanOrEqual(500);
    const [state] = await otel.points("switchyard.breaker.state", { "switchyard.endpoint.id": "up#0" });
    expect(state?.value).toBe(2);
    const transitions = await otel.points("switchyard.breaker.transitions", {
      "switchyard.endpoint.id": "up#0",
    });
    expect(transitions.map((point) => [point.attributes["switchyard.breaker.state"], point.value])).toEqual([
      ["open", 1],
    ]);
  });

  it("serves the metrics as Prometheus text", async () => {
    const handler = otel.telemetry.metricsHandler;
    expect(handler).toBeDefined();
    if (!handler) return;
    const server: Server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.headers.get("content-type")).toContain("text/plain");
      const text = await response.text();
      expect(text).toMatch(
        /^gen_ai_client_token_usage_bucket\{.*gen_ai_token_type="input".*le="16".*\} \d+/m,
      );
      expect(text).toMatch(/^gen_ai_server_request_duration_count\{.*\} \d+/m);
      expect(text).toMatch(/^switchyard_requests_total\{.*switchyard_principal_id="team-gamma".*\} 2/m);
      expect(text).toMatch(
        /^switchyard_rate_limit_decisions_total\{.*switchyard_limit_outcome="denied".*\} 1/m,
      );
      expect(text).toMatch(/^switchyard_requests_active(\{[^}]*\})? 0/m);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
