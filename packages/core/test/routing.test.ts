import { createMockUpstream, type MockUpstream, type MockUpstreamOptions } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { afterEach, describe, expect, it } from "vitest";
import { createCircuitBreakerPlugin } from "../src/circuit-breaker-plugin.js";
import { createGateway, type Gateway, type GatewayOptions } from "../src/gateway.js";
import { silentLogger } from "../src/logger.js";
import type { Plugin } from "../src/plugin.js";
import type { Provider } from "../src/provider.js";
import { createRoutesPlugin, type RouteOptions } from "../src/routes-plugin.js";
import { chat, exchange, sseData } from "./drive.js";

const upstreams: MockUpstream[] = [];
const gateways: Gateway[] = [];
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.close({ graceMs: 0 });
  for (const upstream of upstreams.splice(0)) await upstream.close();
});

async function upstream(options: MockUpstreamOptions = {}) {
  const created = await createMockUpstream(options);
  upstreams.push(created);
  return created;
}

const provider = (name: string, ...endpoints: MockUpstream[]): Provider =>
  createOpenAIProvider({
    name,
    models: [{ id: "m", price: { inputPerMillion: name === "cheap" ? 0.1 : 5, outputPerMillion: 1 } }],
    endpoints: endpoints.map((endpoint) => ({ baseURL: `${endpoint.url}/v1` })),
  });

function gateway(
  providers: Provider[],
  routes: RouteOptions[],
  options: GatewayOptions = {},
  plugins: Plugin[] = [],
) {
  const created = createGateway({
    logger: silentLogger,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    ...options,
    providers,
    plugins: [createRoutesPlugin({ routes }), ...plugins],
  });
  gateways.push(created);
  return created;
}

const ask = (target: Gateway, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  exchange(target, chat({ model: "smart", ...extra }), { headers });

describe("routes: aliases and fallback chains", () => {
  it("serves an alias from its first target, with the target's params", async () => {
    const primary = await upstream();
    const target = gateway(
      [provider("primary", primary)],
      [{ model: "smart", targets: [{ provider: "primary", model: "m", params: { temperature: 0.1 } }] }],
    );
    expect((await ask(target)).status).toBe(200);
    expect(primary.requests.at(-1)?.body).toMatchObject({ model: "m", temperature: 0.1 });
    const models = await target.handle({
      method: "GET",
      path: "/v1/models",
      headers: {},
      signal: new AbortController().signal,
    });
    expect(JSON.parse(models.body as string).data.map((model: { id: string }) => model.id)).toContain(
      "smart",
    );
  });

  it("falls back on a 429 at once, without waiting for the Retry-After", async () => {
    const primary = await upstream();
    const backup = await upstream({ reply: () => "from backup" });
    primary.enqueueFault({ kind: "status", status: 429, retryAfter: 30 });
    const target = gateway(
      [provider("primary", primary), provider("backup", backup)],
      [
        {
          model: "smart",
          targets: [
            { provider: "primary", model: "m" },
            { provider: "backup", model: "m" },
          ],
        },
      ],
    );
    const started = performance.now();
    const response = await ask(target);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text).choices[0].message.content).toBe("from backup");
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("does not fall back on classes the route leaves out", async () => {
    const primary = await upstream();
    const backup = await upstream();
    primary.enqueueFault({ kind: "status", status: 429, retryAfter: 30 });
    const target = gateway(
      [provider("primary", primary), provider("backup", backup)],
      [
        {
          model: "smart",
          targets: [
            { provider: "primary", model: "m" },
            { provider: "backup", model: "m" },
          ],
          fallbackOn: ["server_error"],
        },
      ],
    );
    const response = await ask(target);
    expect(response.status).toBe(429);
    expect(response.headers["retry-after"]).toBe("30");
    expect(backup.stats.received).toBe(0);
  });

  it("falls back on auth failures only when the route says so", async () => {
    const primary = await upstream({ apiKey: "the-right-key" });
    const backup = await upstream();
    const route = (fallbackOn?: RouteOptions["fallbackOn"]): RouteOptions => ({
      model: "smart",
      targets: [
        { provider: "primary", model: "m" },
        { provider: "backup", model: "m" },
      ],
      ...(fallbackOn ? { fallbackOn } : {}),
    });
    const strict = gateway([provider("primary", primary), provider("backup", backup)], [route()]);
    expect((await ask(strict)).status).toBe(502);
    const lenient = gateway([provider("primary", primary), provider("backup", backup)], [route(["auth"])]);
    expect((await ask(lenient)).status).toBe(200);
  });

  it("waits for a short Retry-After on the same target when there is no fallback", async () => {
    const primary = await upstream();
    primary.enqueueFault({ kind: "status", status: 429, retryAfterMs: 300 });
    const target = gateway(
      [provider("primary", primary)],
      [{ model: "smart", targets: [{ provider: "primary", model: "m" }] }],
    );
    const started = performance.now();
    expect((await ask(target)).status).toBe(200);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(3_000);
  });

  it("chooses a conditional route by the principal's team", async () => {
    const teamA = await upstream({ reply: () => "team a" });
    const everyone = await upstream({ reply: () => "everyone" });
    const principalTap: Plugin = {
      name: "test-principal",
      apply: (target) =>
        target.hooks.authenticate.tapPromise("test-principal", async (context) =>
          context.headers["x-team"] ? { id: "u1", team: context.headers["x-team"] } : undefined,
        ),
    };
    const target = gateway(
      [provider("a", teamA), provider("all", everyone)],
      [
        { model: "smart", when: { team: "a" }, targets: [{ provider: "a", model: "m" }] },
        { model: "smart", targets: [{ provider: "all", model: "m" }] },
      ],
      {},
      [principalTap],
    );
    const contentOf = async (headers: Record<string, string>) =>
      JSON.parse((await ask(target, {}, headers)).text).choices[0].message.content;
    expect(await contentOf({ "x-team": "a" })).toBe("team a");
    expect(await contentOf({ "x-team": "b" })).toBe("everyone");
    expect(await contentOf({})).toBe("everyone");
  });

  it("orders targets by price when asked", async () => {
    const pricey = await upstream({ reply: () => "pricey" });
    const cheap = await upstream({ reply: () => "cheap" });
    const target = gateway(
      [provider("pricey", pricey), provider("cheap", cheap)],
      [
        {
          model: "smart",
          order: "cheapest",
          targets: [
            { provider: "pricey", model: "m" },
            { provider: "cheap", model: "m" },
          ],
        },
      ],
    );
    expect(JSON.parse((await ask(target)).text).choices[0].message.content).toBe("cheap");
  });

  it("refuses a route to an unknown provider at start-up, naming it", () => {
    expect(() => gateway([], [{ model: "smart", targets: [{ provider: "ghost", model: "m" }] }])).toThrow(
      /routes\[0\]\.targets\[0\]\.provider: no provider named 'ghost'/,
    );
  });
});

describe("circuit breakers", () => {
  it("opens on a failing endpoint, routes around it, shows it on /health", async () => {
    const bad = await upstream();
    const good = await upstream();
    for (let index = 0; index < 20; index++) bad.enqueueFault({ kind: "status", status: 500 });
    const target = gateway(
      [provider("pool", bad, good)],
      [{ model: "smart", targets: [{ provider: "pool", model: "m" }] }],
      { retry: { maxAttemptsPerTarget: 2, baseDelayMs: 1 } },
      [createCircuitBreakerPlugin({ consecutiveFailures: 2, cooldownMs: 60_000 })],
    );
    const changes: string[] = [];
    target.events.on("breaker:change", (endpoint, from, to) => changes.push(`${endpoint.id}:${from}->${to}`));
    for (let index = 0; index < 10; index++) expect((await ask(target)).status).toBe(200);
    expect(changes).toEqual(["pool#0:closed->open"]);
    expect(bad.stats.received).toBe(2);
    const health = await target.handle({
      method: "GET",
      path: "/health",
      headers: {},
      signal: new AbortController().signal,
    });
    expect(JSON.parse(health.body as string).endpoints).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: "pool#0", circuit: "open" })]),
    );
  });

  it("falls back to the next target when every endpoint of the first is open", async () => {
    const bad = await upstream();
    const backup = await upstream({ reply: () => "backup" });
    for (let index = 0; index < 5; index++) bad.enqueueFault({ kind: "status", status: 503 });
    const target = gateway(
      [provider("primary", bad), provider("backup", backup)],
      [
        {
          model: "smart",
          targets: [
            { provider: "primary", model: "m" },
            { provider: "backup", model: "m" },
          ],
        },
      ],
      {},
      [createCircuitBreakerPlugin({ consecutiveFailures: 1, cooldownMs: 60_000 })],
    );
    for (let index = 0; index < 3; index++) {
      expect(JSON.parse((await ask(target)).text).choices[0].message.content).toBe("backup");
    }
    expect(bad.stats.received).toBe(1);
  });
});

describe("timeouts, each with its own code", () => {
  it("idle: a stream that goes silent mid-way ends with an idle-timeout error event", async () => {
    // undici checks body timeouts on ~1 s ticks, so the gap must be well over a second past the limit.
    const slow = await upstream({ tokensPerSecond: 0.3, replyTokens: 3 });
    const target = gateway(
      [provider("primary", slow)],
      [{ model: "smart", targets: [{ provider: "primary", model: "m" }] }],
      { timeouts: { idleMs: 1_000 } },
    );
    const events = sseData((await ask(target, { stream: true })).text);
    expect(JSON.parse(events.at(-1) as string).error.code).toBe("upstream_idle_timeout");
  });

  it("total: a request over the total budget ends with a total-timeout error", async () => {
    const slow = await upstream({ tokensPerSecond: 20, replyTokens: 200 });
    const target = gateway(
      [provider("primary", slow)],
      [{ model: "smart", targets: [{ provider: "primary", model: "m" }] }],
      {
        timeouts: { totalMs: 300 },
      },
    );
    const events = sseData((await ask(target, { stream: true })).text);
    expect(JSON.parse(events.at(-1) as string).error.code).toBe("upstream_total_timeout");
  });
});
