import { createMockUpstream, type MockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway, type Gateway } from "../src/gateway.js";
import { silentLogger } from "../src/logger.js";
import { chat, exchange } from "./drive.js";

describe("overload protection", () => {
  let upstream: MockUpstream;
  let gateway: Gateway;
  beforeAll(async () => {
    upstream = await createMockUpstream({ record: false, latencyMs: 300 });
    gateway = createGateway({
      logger: silentLogger,
      overload: { maxInFlight: 2, maxQueue: 2, queueTimeoutMs: 10_000 },
      providers: [createOpenAIProvider({ name: "up", baseURL: `${upstream.url}/v1`, models: ["mock-1"] })],
    });
  });
  afterAll(async () => {
    await gateway.close({ graceMs: 0 });
    await upstream.close();
  });

  it("serves what fits in flight and in the queue, sheds the rest at once with 503 + Retry-After", async () => {
    const shed: string[] = [];
    gateway.events.on("request:shed", (_context, error) => shed.push(error.code));
    const results = await Promise.all(Array.from({ length: 10 }, () => exchange(gateway, chat())));
    const ok = results.filter((result) => result.status === 200);
    const refused = results.filter((result) => result.status === 503);
    expect(ok).toHaveLength(4);
    expect(refused).toHaveLength(6);
    for (const result of refused) {
      expect(result.headers["retry-after"]).toBe("1");
      expect(JSON.parse(result.text).error.code).toBe("overloaded");
    }
    expect(shed).toEqual(Array(6).fill("SWY_ERR_GATEWAY_OVERLOADED"));
    // Every accepted request reached the upstream and completed; none was lost.
    expect(upstream.stats.completed).toBe(4);
    expect(gateway.inFlight).toBe(0);
  });

  it("sheds a queued request whose wait runs out", async () => {
    const tight = createGateway({
      logger: silentLogger,
      overload: { maxInFlight: 1, maxQueue: 5, queueTimeoutMs: 50 },
      providers: [createOpenAIProvider({ name: "up", baseURL: `${upstream.url}/v1`, models: ["mock-1"] })],
    });
    const [first, second] = await Promise.all([exchange(tight, chat()), exchange(tight, chat())]);
    expect(first?.status).toBe(200);
    expect(second?.status).toBe(503);
    await tight.close({ graceMs: 0 });
  });
});
