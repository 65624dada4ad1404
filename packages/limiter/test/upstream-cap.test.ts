import { createGateway, silentLogger } from "@switchyard/core";
import { listen, type NodeGatewayServer } from "@switchyard/http/node";
import { createMockUpstream, type MockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { afterEach, describe, expect, it } from "vitest";
import { createUpstreamCapPlugin, UPSTREAM_CAP_METRICS } from "../src/index.js";
import { chat, recordingMeter } from "./stack.js";

const upstreams: MockUpstream[] = [];
let server: NodeGatewayServer | undefined;
const controllers: AbortController[] = [];

afterEach(async () => {
  for (const controller of controllers.splice(0)) controller.abort();
  await server?.close();
  server = undefined;
  await Promise.all(upstreams.splice(0).map((upstream) => upstream.close()));
});

/** Opens a stream and waits for its first bytes; the attempt stays in flight until it is aborted. */
async function holdStream(url: string): Promise<void> {
  const controller = new AbortController();
  controllers.push(controller);
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "mock-1", stream: true, messages: [{ role: "user", content: "hi" }] }),
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  await (response.body as ReadableStream<Uint8Array>).getReader().read();
}

describe("upstream cap (selectEndpoint)", () => {
  it("steers around a full endpoint, then sheds with 503 + Retry-After when every endpoint is full", async () => {
    // Slow streams (2 tokens/s) stay in flight for as long as the test holds them.
    for (let index = 0; index < 2; index++) upstreams.push(await createMockUpstream({ tokensPerSecond: 2 }));
    const [a, b] = upstreams as [MockUpstream, MockUpstream];
    const meter = recordingMeter();
    const gateway = createGateway({
      logger: silentLogger,
      retry: false,
      providers: [
        createOpenAIProvider({
          name: "pool",
          models: ["mock-1"],
          endpoints: [
            { baseURL: `${a.url}/v1`, apiKey: "k" },
            { baseURL: `${b.url}/v1`, apiKey: "k" },
          ],
        }),
      ],
      plugins: [createUpstreamCapPlugin({ maxInFlightPerEndpoint: 1, meter })],
    });
    server = await listen(gateway, { port: 0, graceMs: 500 });
    const url = `${server.url}/v1/chat/completions`;

    // Round-robin sends the first request to endpoint #0 (a) and keeps it there.
    await holdStream(url);
    expect([a.stats.received, b.stats.received]).toEqual([1, 0]);
    // Round-robin would alternate; with a full, every request goes to b.
    for (let index = 0; index < 3; index++) expect((await chat(url, undefined)).status).toBe(200);
    expect([a.stats.received, b.stats.received]).toEqual([1, 3]);

    await holdStream(url);
    expect(b.stats.received).toBe(4);
    const shed = await chat(url, undefined);
    expect(shed.status).toBe(503);
    expect(shed.headers.get("retry-after")).toBe("1");
    expect(shed.body.error).toMatchObject({ code: "overloaded", type: "server_error" });
    expect(shed.body.error.message).toContain("provider 'pool' has 1 requests in flight");
    expect([a.stats.received, b.stats.received]).toEqual([1, 4]);
    expect(meter.counts).toEqual([
      { name: UPSTREAM_CAP_METRICS.refusals, value: 1, attributes: { "gen_ai.provider.name": "pool" } },
    ]);
  });

  it("leaves providers without a cap alone", async () => {
    upstreams.push(await createMockUpstream({ tokensPerSecond: 2 }));
    const [a] = upstreams as [MockUpstream];
    const gateway = createGateway({
      logger: silentLogger,
      providers: [
        createOpenAIProvider({ name: "free", baseURL: `${a.url}/v1`, apiKey: "k", models: ["mock-1"] }),
      ],
      plugins: [createUpstreamCapPlugin({ maxInFlightPerEndpoint: 1, providers: { free: 0 } })],
    });
    server = await listen(gateway, { port: 0, graceMs: 500 });
    const url = `${server.url}/v1/chat/completions`;
    await holdStream(url);
    expect((await chat(url, undefined)).status).toBe(200);
  });
});
