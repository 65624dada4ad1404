import { createMockUpstream, type MockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { afterEach, describe, expect, it } from "vitest";
import type { RoutePlan } from "../src/context.js";
import { createGateway, type Gateway, type GatewayOptions } from "../src/gateway.js";
import { silentLogger } from "../src/logger.js";
import { chat, exchange, sseData } from "./drive.js";

const upstreams: MockUpstream[] = [];
const gateways: Gateway[] = [];
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.close({ graceMs: 0 });
  for (const upstream of upstreams.splice(0)) await upstream.close();
});

async function upstream(options: Parameters<typeof createMockUpstream>[0] = {}) {
  const created = await createMockUpstream({ record: false, ...options });
  upstreams.push(created);
  return created;
}

function gatewayOver(endpoints: MockUpstream[], options: GatewayOptions = {}, hedge?: RoutePlan["hedge"]) {
  const gateway = createGateway({
    logger: silentLogger,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    ...options,
    providers: [
      createOpenAIProvider({
        name: "pool",
        models: ["mock-1"],
        endpoints: endpoints.map((endpoint) => ({ baseURL: `${endpoint.url}/v1` })),
      }),
    ],
  });
  if (hedge)
    gateway.hooks.resolveRoute.tap({ name: "test-hedge", stage: 10 }, (plan) => ({ ...plan, hedge }));
  gateways.push(gateway);
  return gateway;
}

describe("streams are not committed before their first event", () => {
  it("answers 504 first_token when a stream sends headers but no event in time", async () => {
    const slow = await upstream({ firstByteDelayMs: 2_000 });
    const gateway = gatewayOver([slow], { retry: false, timeouts: { firstTokenMs: 100 } });
    const response = await exchange(gateway, chat({ stream: true }));
    expect(response.status).toBe(504);
    expect(JSON.parse(response.text).error.code).toBe("upstream_first_token_timeout");
    await expect.poll(() => slow.stats.aborted).toBe(1);
  });

  it("retries a stream cut before its first event, invisibly to the client", async () => {
    const flaky = await upstream();
    flaky.enqueueFault({ kind: "cut-stream", afterChunks: 0 });
    const gateway = gatewayOver([flaky]);
    const response = await exchange(gateway, chat({ stream: true }));
    expect(response.status).toBe(200);
    expect(sseData(response.text).at(-1)).toBe("[DONE]");
    expect(flaky.stats.received).toBe(2);
  });

  it("tries the other endpoint after one fails", async () => {
    const broken = await upstream();
    const healthy = await upstream();
    broken.enqueueFault({ kind: "status", status: 500 });
    healthy.enqueueFault({ kind: "status", status: 500 });
    const gateway = gatewayOver([broken, healthy], { retry: { maxAttemptsPerTarget: 3, baseDelayMs: 1 } });
    const response = await exchange(gateway, chat());
    expect(response.status).toBe(200);
    expect(broken.stats.received + healthy.stats.received).toBe(3);
    expect(Math.min(broken.stats.received, healthy.stats.received)).toBeGreaterThanOrEqual(1);
  });
});

describe("hedged requests", () => {
  it("starts a second attempt after the delay, keeps the first answer, cancels the other", async () => {
    const slow = await upstream({ latencyMs: 3_000 });
    const fast = await upstream({ reply: () => "fast answer" });
    const gateway = gatewayOver([slow, fast], {}, { delayMs: 50 });
    const hedges: unknown[] = [];
    gateway.events.on("attempt:hedged", (_context, attempt) => hedges.push(attempt.endpoint.id));
    // Round-robin starts at the first endpoint, the slow one.
    const response = await exchange(gateway, chat());
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text).choices[0].message.content).toBe("fast answer");
    expect(hedges).toEqual(["pool#1"]);
    await expect.poll(() => slow.stats.aborted).toBe(1);
    expect(slow.stats.completed).toBe(0);
  });

  it("does not hedge an attempt that answers within the delay", async () => {
    const first = await upstream();
    const second = await upstream();
    const gateway = gatewayOver([first, second], {}, { delayMs: 5_000 });
    const hedges: unknown[] = [];
    gateway.events.on("attempt:hedged", () => hedges.push(1));
    const response = await exchange(gateway, chat({ stream: true }));
    expect(response.status).toBe(200);
    expect(hedges).toEqual([]);
    expect(first.stats.received + second.stats.received).toBe(1);
  });

  it("hedges streams on the first event and discards the loser's stream", async () => {
    const slow = await upstream({ firstByteDelayMs: 3_000 });
    const fast = await upstream({ reply: () => "fast stream" });
    const gateway = gatewayOver([slow, fast], {}, { delayMs: 50 });
    const response = await exchange(gateway, chat({ stream: true }));
    const events = sseData(response.text);
    expect(events.at(-1)).toBe("[DONE]");
    const text = events
      .slice(0, -1)
      .map((event) => JSON.parse(event).choices[0]?.delta?.content ?? "")
      .join("");
    expect(text).toBe("fast stream");
    await expect.poll(() => slow.stats.aborted).toBe(1);
  });

  it("waits for the other attempt when the first to finish failed", async () => {
    const slowOk = await upstream({ latencyMs: 300, reply: () => "slow but fine" });
    const failing = await upstream();
    failing.enqueueFault({ kind: "status", status: 400 });
    const gateway = gatewayOver([slowOk, failing], { retry: false }, { delayMs: 20 });
    const response = await exchange(gateway, chat());
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text).choices[0].message.content).toBe("slow but fine");
  });
});

describe("endpoint stats", () => {
  it("tracks in-flight, latency and failures per endpoint", async () => {
    const single = await upstream();
    const gateway = gatewayOver([single], { retry: false });
    for (let index = 0; index < 10; index++) expect((await exchange(gateway, chat())).status).toBe(200);
    single.enqueueFault({ kind: "status", status: 500 });
    expect((await exchange(gateway, chat())).status).toBe(502);
    const endpoint = gateway.providers.get("pool")?.endpoints[0];
    const stats = gateway.endpointStats.get(endpoint as never);
    expect(stats.inFlight).toBe(0);
    expect(stats.successes).toBe(10);
    expect(stats.failures).toBe(1);
    expect(stats.consecutiveFailures).toBe(1);
    expect(stats.ewmaMs).toBeGreaterThan(0);
    expect(stats.percentile(95)).toBeGreaterThan(0);
  });
});
