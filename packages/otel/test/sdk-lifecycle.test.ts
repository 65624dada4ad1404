import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiKeys,
  chat,
  startTelemetryStack,
  startTestTelemetry,
  type TelemetryStack,
  type TestTelemetry,
} from "./telemetry-stack.js";

const [alpha] = apiKeys;
const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const TRACEPARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`;

let stack: TelemetryStack;
let otel: TestTelemetry | undefined;

beforeAll(async () => {
  // The gateway exists before any SDK: telemetry must notice the SDK when it comes, and when it goes.
  stack = await startTelemetryStack();
});

afterAll(async () => {
  await otel?.telemetry.shutdown();
  await stack?.close();
});

const upstreamTraceparent = () => stack.upstream.requests.at(-1)?.headers.traceparent;

describe("an SDK started after the gateway, then shut down", () => {
  it("without an SDK, forwards the client's traceparent untouched", async () => {
    expect((await chat(stack.url, alpha.key, {}, { traceparent: TRACEPARENT })).status).toBe(200);
    expect(upstreamTraceparent()).toBe(TRACEPARENT);
  });

  it("once started, traces the next request and sends the attempt span upstream", async () => {
    otel = await startTestTelemetry();
    expect((await chat(stack.url, alpha.key, {}, { traceparent: TRACEPARENT })).status).toBe(200);
    const spans = otel.spans.getFinishedSpans();
    expect(spans.map((span) => span.name).sort()).toEqual(["chat mock-1", "chat mock-1"]);
    const attempt = spans.find((span) => span.attributes["switchyard.endpoint.id"] === "up#0");
    expect(attempt?.spanContext().traceId).toBe(TRACE_ID);
    expect(upstreamTraceparent()).toBe(`00-${TRACE_ID}-${attempt?.spanContext().spanId}-01`);
    const [requests] = await otel.points("switchyard.requests", { "switchyard.principal.id": alpha.id });
    expect(requests?.value).toBe(1);
  });

  it("after shutdown, goes back to forwarding and records nothing more", async () => {
    const stopped = otel;
    await stopped?.telemetry.shutdown();
    const before = stopped?.spans.getFinishedSpans().length;
    expect((await chat(stack.url, alpha.key, {}, { traceparent: TRACEPARENT })).status).toBe(200);
    expect(upstreamTraceparent()).toBe(TRACEPARENT);
    expect(stopped?.spans.getFinishedSpans().length).toBe(before);
  });
});
