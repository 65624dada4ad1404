import type { Endpoint, RequestContext } from "@switchyard/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DashboardSnapshot } from "../src/dashboard/index.js";
import { type DashboardStack, startDashboardStack } from "./dashboard-server.js";

let running: DashboardStack;

beforeAll(async () => {
  running = await startDashboardStack();
});

afterAll(async () => {
  await running?.close();
});

async function snapshot(): Promise<DashboardSnapshot> {
  const response = await fetch(`${running.pageUrl}/data`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/json");
  expect(response.headers.get("cache-control")).toBe("no-store");
  return (await response.json()) as DashboardSnapshot;
}

describe("/dashboard/data", () => {
  it("adds up requests, tokens and cost per model and per principal from the traffic", async () => {
    const data = await snapshot();
    const { expected } = running;
    expect(data.requests).toMatchObject({ total: expected.requests, errors: 0, inFlight: 0 });
    expect(data.requests.series).toHaveLength(data.windowSeconds);
    const principals = Object.fromEntries(
      data.principals.map((row) => [
        row.name,
        { requests: row.requests, inputTokens: row.inputTokens, outputTokens: row.outputTokens },
      ]),
    );
    expect(principals).toEqual(expected.perPrincipal);
    const input = Object.values(expected.perPrincipal).reduce((sum, row) => sum + row.inputTokens, 0);
    const output = Object.values(expected.perPrincipal).reduce((sum, row) => sum + row.outputTokens, 0);
    expect(data.models).toHaveLength(1);
    expect(data.models[0]).toMatchObject({
      name: "up/mock-1",
      requests: 3,
      errors: 0,
      inputTokens: input,
      outputTokens: output,
    });
    expect(data.models[0]?.cost).toBeCloseTo((input * 2 + output * 8) / 1_000_000, 12);
  });

  it("reports latency and time-to-first-token percentiles, provider error rates and retries", async () => {
    const data = await snapshot();
    expect(data.latencyMs.count).toBe(3);
    expect(data.latencyMs.p50).toBeGreaterThan(0);
    expect(data.latencyMs.p99).toBeGreaterThanOrEqual(data.latencyMs.p50 ?? Number.POSITIVE_INFINITY);
    // Only the streamed request has a first token.
    expect(data.ttftMs.count).toBe(1);
    expect(data.providers).toEqual([
      { name: "up", attempts: 4, failures: 1, errorRate: 0.25, retries: 1, fallbacks: 0, hedges: 0 },
    ]);
    expect(data.breakers).toEqual([{ endpoint: "up#0", state: "closed", inFlight: 0, transitions: 0 }]);
  });

  it("counts limiter decisions and breaker changes from their events", async () => {
    const { events } = running.stack.gateway;
    const context = {} as RequestContext;
    const endpoint = running.stack.gateway.providers.get("up")?.endpoints[0] as Endpoint;
    events.emit("limit:decision", context, {
      limit: "rpm",
      unit: "requests",
      allowed: true,
      key: "team-alpha",
    });
    events.emit("limit:decision", context, {
      limit: "rpm",
      unit: "requests",
      allowed: false,
      key: "team-alpha",
    });
    events.emit("limit:decision", context, {
      limit: "tpm",
      unit: "tokens",
      allowed: false,
      key: "team-beta",
    });
    events.emit("breaker:change", endpoint, "closed", "open");
    const data = await snapshot();
    expect(data.limits).toEqual([
      { limit: "rpm", allowed: 1, denied: 1 },
      { limit: "tpm", allowed: 0, denied: 1 },
    ]);
    expect(data.breakers[0]).toMatchObject({ endpoint: "up#0", transitions: 1 });
  });
});

describe("/dashboard", () => {
  it("serves one self-contained page under a strict Content-Security-Policy", async () => {
    const response = await fetch(running.pageUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const policy = response.headers.get("content-security-policy") ?? "";
    expect(policy).toMatch(/default-src 'none'; script-src 'sha256-[\w+/=]+'/);
    expect(policy).toContain("connect-src 'self'");
    const html = await response.text();
    expect(html).toContain('<table id="models">');
    expect(html).not.toMatch(/<script src=|<link /);
  });

  it("answers 405 to other methods and leaves other paths to the caller", async () => {
    expect((await fetch(running.pageUrl, { method: "POST" })).status).toBe(405);
    expect((await fetch(`${running.pageUrl}/elsewhere`)).status).toBe(404);
  });
});
