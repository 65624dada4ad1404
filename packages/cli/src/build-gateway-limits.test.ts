import { SwitchyardError } from "@switchyard/core";
import { afterEach, describe, expect, it } from "vitest";
import { buildServedGateway, type ServedGateway } from "./build-gateway.js";
import { parseConfig } from "./load-config.js";

const built: ServedGateway[] = [];
afterEach(async () => {
  for (const served of built.splice(0)) {
    await served.gateway.close({ graceMs: 0 });
    await served.close();
  }
});

function build(raw: Record<string, unknown>): ServedGateway {
  const served = buildServedGateway(
    parseConfig({ log: { level: "silent" }, providers: [{ type: "mock" }], ...raw }, {}),
  );
  built.push(served);
  return served;
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (SwitchyardError.is(error)) return error.message;
    throw error;
  }
  throw new Error("expected a SwitchyardError");
}

async function chat(served: ServedGateway, remoteAddress = "198.51.100.1") {
  const response = await served.gateway.handle({
    method: "POST",
    path: "/v1/chat/completions",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "hello" }] }),
    signal: new AbortController().signal,
    remoteAddress,
  });
  if (typeof response.body !== "string") throw new Error("expected a complete answer");
  return { status: response.status, headers: response.headers, body: JSON.parse(response.body) };
}

describe("buildServedGateway: rateLimit and overload", () => {
  it("wires rateLimit with the memory store: a per-IP limit refuses the third request of one address", async () => {
    const served = build({
      rateLimit: {
        limits: [{ name: "per-ip", key: "ip", limit: 2, per: "hour", algorithm: "token-bucket" }],
      },
    });
    expect(served.limiterStore).toBeDefined();
    expect((await chat(served)).status).toBe(200);
    expect((await chat(served)).status).toBe(200);
    const refused = await chat(served);
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toContain("for ip=198.51.100.1)");
    expect((await chat(served, "198.51.100.2")).status).toBe(200);
  });

  it("names the config path of a bad rateLimit or overload.upstream option", () => {
    expect(refusal(() => build({ rateLimit: { limits: [{ name: "x", limit: 1 }] } }))).toMatch(
      /^rateLimit: limits\.0\.per: /,
    );
    expect(
      refusal(() =>
        build({ rateLimit: { limits: [{ name: "x", limit: 1, per: "hour" }], trustedProxies: ["nope"] } }),
      ),
    ).toMatch(/^rateLimit: trustedProxies\.0: /);
    expect(
      refusal(() =>
        parseConfig({ providers: [{ type: "mock" }], rateLimit: { store: "disk", limits: [] } }, {}),
      ),
    ).toMatch(/rateLimit\.store/);
    expect(
      refusal(() =>
        parseConfig(
          { providers: [{ type: "mock" }], overload: { upstream: { maxInFlightPerEndpoint: -1 } } },
          {},
        ),
      ),
    ).toMatch(/overload\.upstream\.maxInFlightPerEndpoint/);
  });

  it("passes overload to the gateway: beyond maxInFlight and maxQueue, 503 with Retry-After", async () => {
    const served = build({
      providers: [{ type: "mock", tokensPerSecond: 5, replyTokens: 20 }],
      overload: { maxInFlight: 1, maxQueue: 0 },
    });
    const holder = new AbortController();
    const stream = await served.gateway.handle({
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-1", stream: true, messages: [{ role: "user", content: "hello" }] }),
      signal: holder.signal,
    });
    expect(stream.status).toBe(200);
    const shed = await chat(served);
    expect(shed.status).toBe(503);
    expect(shed.headers["retry-after"]).toBe("1");
    expect(shed.body.error.code).toBe("overloaded");
    holder.abort();
    const body = stream.body as AsyncIterable<Uint8Array>;
    await body[Symbol.asyncIterator]().return?.();
  });

  it("checks server settings: headersTimeoutMs within requestTimeoutMs, tls needs both files", () => {
    const parse = (server: Record<string, unknown>) => () =>
      parseConfig({ providers: [{ type: "mock" }], server }, {});
    expect(refusal(parse({ headersTimeoutMs: 60_000, requestTimeoutMs: 30_000 }))).toContain(
      "server.headersTimeoutMs: headersTimeoutMs must not be longer than requestTimeoutMs",
    );
    expect(refusal(parse({ tls: { cert: "cert.pem" } }))).toContain("server.tls.key");
    expect(refusal(parse({ workers: 0 }))).toContain("server.workers");
    expect(parseConfig({ providers: [{ type: "mock" }] }, {}).server).toMatchObject({
      maxConnections: 0,
      maxHeaderSizeBytes: 16_384,
      workers: 1,
      allowPerWorkerLimits: false,
    });
  });
});
