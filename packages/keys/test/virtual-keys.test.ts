import {
  createApiKeyAuthPlugin,
  createGateway,
  createRoutesPlugin,
  type Gateway,
  type GatewayOptions,
  HookStage,
  type Principal,
  silentLogger,
} from "@switchyard/core";
import type { LimiterStore } from "@switchyard/limiter";
import { createMockProvider, createMockUpstream, type MockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { afterEach, describe, expect, it } from "vitest";
import {
  createKey,
  createMemoryKeyStore,
  createVirtualKeysPlugin,
  formatCostHeader,
  getVirtualKey,
  type KeyStore,
  revokeKey,
  summarizeSpend,
  utcDay,
  type VirtualKeysOptions,
  type VirtualKeysPlugin,
} from "../src/index.js";
import { chat, mockCostMicros } from "./helpers.js";

const gateways: Gateway[] = [];
const upstreams: MockUpstream[] = [];
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.close({ graceMs: 0 });
  for (const upstream of upstreams.splice(0)) await upstream.close();
});

function build(options: Partial<VirtualKeysOptions> = {}, gatewayOptions: GatewayOptions = {}) {
  const store = options.store ?? createMemoryKeyStore();
  const plugin = createVirtualKeysPlugin({ ...options, store });
  const gateway = createGateway({
    logger: silentLogger,
    retry: false,
    requireAuth: true,
    providers: [createMockProvider({ replyTokens: 8 })],
    ...gatewayOptions,
    plugins: [plugin, ...(gatewayOptions.plugins ?? [])],
  });
  gateways.push(gateway);
  return { store, plugin, gateway };
}

async function spendToday(plugin: VirtualKeysPlugin, filter: { key?: string; team?: string } = {}) {
  const day = utcDay(Date.now());
  return summarizeSpend(await plugin.spendStore.query({ from: day, to: day, ...filter }))[0];
}

/** Settlement runs after the answer is written: wait until the spend store has seen `requests`. */
async function settled(plugin: VirtualKeysPlugin, requests: number, filter: { key?: string } = {}) {
  await expect.poll(async () => (await spendToday(plugin, filter))?.requests).toBe(requests);
}

describe("authentication", () => {
  it("accepts a virtual key, refuses a wrong one, and leaves other keys to other auth plugins", async () => {
    const { store, gateway } = build(
      {},
      { plugins: [createApiKeyAuthPlugin({ keys: [{ id: "static", key: "static-key-0123456789" }] })] },
    );
    const { key, record } = await createKey(store, { name: "ci", team: "red", metadata: { tier: "gold" } });
    const seen: Array<{ principal: Principal | undefined; hasHash: boolean }> = [];
    gateway.hooks.rateLimit.tap({ name: "probe", stage: HookStage.LATE }, (context) => {
      seen.push({ principal: context.principal, hasHash: "sha256" in (getVirtualKey(context) ?? {}) });
      return undefined;
    });

    expect((await chat(gateway, key)).status).toBe(200);
    expect(seen[0]?.principal).toEqual({
      id: record.id,
      team: "red",
      metadata: { tier: "gold", keyName: "ci" },
    });
    expect(seen[0]?.hasHash).toBe(false);

    const wrong = await chat(gateway, `sk-swy-${"A".repeat(43)}`);
    expect(wrong.status).toBe(401);
    expect(wrong.json().error).toMatchObject({
      code: "invalid_api_key",
      message: "The API key is not valid.",
    });
    expect((await chat(gateway, "sk-swy-not!valid")).status).toBe(401);
    // Not a virtual key: the static plugin decides.
    expect((await chat(gateway, "static-key-0123456789")).status).toBe(200);
    expect(seen[1]?.principal?.id).toBe("static");
    expect((await chat(gateway, "static-key-wrong-012345")).status).toBe(401);
    expect((await chat(gateway, undefined)).json().error?.code).toBe("missing_api_key");
  });

  it("refuses a revoked key on the very next request, and an expired key, with distinct messages", async () => {
    const { store, gateway } = build();
    const { key, record } = await createKey(store, {});
    expect((await chat(gateway, key)).status).toBe(200);
    await revokeKey(store, record.id);
    const revoked = await chat(gateway, key);
    expect(revoked.status).toBe(401);
    expect(revoked.json().error?.message).toBe("The API key has been revoked.");

    const expired = await createKey(store, { expiresAt: "2020-01-01T00:00:00.000Z" });
    const refused = await chat(gateway, expired.key);
    expect(refused.status).toBe(401);
    expect(refused.json().error?.message).toBe("The API key expired at 2020-01-01T00:00:00.000Z.");
  });
});

describe("allowed models and per-key rate limits", () => {
  it("refuses models outside the key's list with 403 before any quota is taken", async () => {
    const { store, gateway } = build();
    const { key } = await createKey(store, { models: ["mock-1-m*"], rateLimits: { requestsPerMinute: 1 } });
    const refused = await chat(gateway, key, { model: "mock-1" });
    expect(refused.status).toBe(403);
    expect(refused.json().error).toMatchObject({
      code: "model_not_allowed",
      type: "permission_error",
      param: "model",
    });
    expect(refused.json().error?.message).toContain("Allowed: mock-1-m*");
    // The 403 took nothing from the one request per minute.
    expect((await chat(gateway, key, { model: "mock-1-mini" })).status).toBe(200);
    const limited = await chat(gateway, key, { model: "mock-1-mini" });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(limited.json().error?.message).toContain("1 requests per minute");
  });

  it("refuses a request larger than the key's tokens per minute with 413", async () => {
    const { store, gateway } = build();
    const { key } = await createKey(store, { rateLimits: { tokensPerMinute: 50 } });
    const response = await chat(gateway, key, { max_tokens: 100 });
    expect(response.status).toBe(413);
    expect(response.json().error?.code).toBe("rate_limit_request_too_large");
    expect((await chat(gateway, key, { max_tokens: 10 })).status).toBe(200);
  });
});

describe("budgets", () => {
  it("reserves the worst case, settles to the real cost, and answers 402 once the budget cannot cover a request", async () => {
    const { store, plugin, gateway } = build();
    const { key, record } = await createKey(store, { budget: { daily: 0.0001 } });
    let spent = 0;
    let admitted = 0;
    let refusal: Awaited<ReturnType<typeof chat>> | undefined;
    for (let sent = 0; sent < 20 && refusal === undefined; sent++) {
      const response = await chat(gateway, key);
      if (response.status === 402) refusal = response;
      else {
        expect(response.status).toBe(200);
        spent += mockCostMicros(response.json().usage as never);
        admitted++;
        await settled(plugin, admitted);
      }
    }
    expect(admitted).toBeGreaterThan(1);
    expect(refusal?.json().error).toMatchObject({ code: "budget_exceeded", type: "insufficient_quota" });
    const message = refusal?.json().error?.message ?? "";
    expect(message).toContain(`API key '${record.id}' daily budget of $0.0001`);
    const worst = Number(/may cost up to \$([\d.]+)/.exec(message)?.[1]) * 1_000_000;
    // Exact: what was charged is what the answers cost, and the budget was used until the next worst case
    // no longer fit.
    expect(spent).toBeLessThanOrEqual(100);
    expect(100 - spent).toBeLessThan(worst);
    const [status] = await plugin.budgets.status(
      plugin.budgets.linesFor(record.id, { daily: 0.0001 }, undefined),
    );
    expect(Math.round((status?.usedUsd ?? 0) * 1_000_000)).toBe(spent);
    expect((await spendToday(plugin, { key: record.id }))?.costMicros).toBe(spent);
    const now = new Date();
    const nextMidnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    expect(refusal?.headers["x-switchyard-budget-reset"]).toBe(new Date(nextMidnight).toISOString());
    expect(Number(refusal?.headers["retry-after"])).toBeGreaterThan(0);
  });

  it("charges a team's budget for every key of the team, static-key principals included", async () => {
    const { store, plugin, gateway } = build(
      { teams: { red: { daily: 0.00005 } } },
      {
        plugins: [
          createApiKeyAuthPlugin({ keys: [{ id: "static-red", team: "red", key: "static-red-0123456789" }] }),
        ],
      },
    );
    const first = await createKey(store, { team: "red" });
    const second = await createKey(store, { team: "red" });
    const blue = await createKey(store, { team: "blue" });
    expect((await chat(gateway, first.key)).status).toBe(200);
    await settled(plugin, 1);
    const refused = await chat(gateway, second.key);
    expect(refused.status).toBe(402);
    expect(refused.json().error?.message).toContain("team 'red' daily budget of $0.00005");
    expect((await chat(gateway, "static-red-0123456789")).status).toBe(402);
    expect((await chat(gateway, blue.key)).status).toBe(200);
  });

  it("says a total budget never resets, with no Retry-After, and suggests a lower max_tokens", async () => {
    const { store, gateway } = build();
    const { key } = await createKey(store, { budget: { total: 0.00001 } });
    const refused = await chat(gateway, key);
    expect(refused.status).toBe(402);
    expect(refused.headers["retry-after"]).toBeUndefined();
    expect(refused.json().error?.message).toMatch(
      /total budget of \$0\.00001 has \$0\.00001 left.*Lower max_tokens.*does not reset/,
    );
  });

  it("reserves for the dearest target of a route, fallbacks included", async () => {
    const { store, gateway } = build(
      { prices: { "dear/big": { inputPerMillion: 100, outputPerMillion: 100 } } },
      {
        providers: [
          createMockProvider({ replyTokens: 8 }),
          createMockProvider({ name: "dear", models: ["big"] }),
        ],
        plugins: [
          createRoutesPlugin({
            routes: [
              {
                model: "smart",
                targets: [
                  { provider: "mock", model: "mock-1" },
                  { provider: "dear", model: "big" },
                ],
              },
            ],
          }),
        ],
      },
    );
    const { key } = await createKey(store, { budget: { daily: 0.0005 } });
    expect((await chat(gateway, key)).status).toBe(200);
    const refused = await chat(gateway, key, { model: "smart" });
    expect(refused.status).toBe(402);
    expect(refused.json().error?.message).toContain("on 'dear/big'");
  });

  it("refuses a budgeted request to a model without a price, unless told to allow it", async () => {
    const upstream = await createMockUpstream({ record: false });
    upstreams.push(upstream);
    const provider = () =>
      createOpenAIProvider({ name: "free", baseURL: `${upstream.url}/v1`, models: ["unpriced-1"] });
    const strict = build({}, { providers: [provider()] });
    const budgeted = await createKey(strict.store, { budget: { daily: 1 } });
    const open = await createKey(strict.store, {});
    const refused = await chat(strict.gateway, budgeted.key, { model: "unpriced-1" });
    expect(refused.status).toBe(403);
    expect(refused.json().error?.message).toContain("'free/unpriced-1' has no price");
    expect((await chat(strict.gateway, open.key, { model: "unpriced-1" })).status).toBe(200);

    const lenient = build({ unpricedModels: "allow" }, { providers: [provider()] });
    const allowed = await createKey(lenient.store, { budget: { daily: 1 } });
    expect((await chat(lenient.gateway, allowed.key, { model: "unpriced-1" })).status).toBe(200);
    await settled(lenient.plugin, 1);
    expect((await spendToday(lenient.plugin))?.costMicros).toBe(0);
  });

  it("charges an abandoned stream for what it generated and refunds the rest", async () => {
    const { store, plugin, gateway } = build(
      {},
      { providers: [createMockProvider({ replyTokens: 400, tokensPerSecond: 200 })] },
    );
    const { key, record } = await createKey(store, { budget: { daily: 1 } });
    let relayed = -1;
    gateway.hooks.requestFailed.tap("probe", (context) => {
      relayed = context.streamedEvents;
    });
    const controller = new AbortController();
    const response = await gateway.handle({
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({
        model: "mock-1",
        stream: true,
        max_tokens: 400,
        messages: [{ role: "user", content: "Tell me a long story." }],
      }),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    let chunks = 0;
    for await (const _chunk of response.body as AsyncIterable<Uint8Array>) {
      if (++chunks === 4) {
        controller.abort();
        break;
      }
    }
    await settled(plugin, 1);
    const row = (await plugin.spendStore.query({ from: utcDay(Date.now()), to: utcDay(Date.now()) }))[0];
    expect(relayed).toBeGreaterThan(0);
    expect(relayed).toBeLessThan(400);
    expect(row?.outputTokens).toBe(relayed);
    expect(row?.costMicros).toBe((row?.inputTokens ?? 0) * 1 + relayed * 2);
    const [status] = await plugin.budgets.status(plugin.budgets.linesFor(record.id, { daily: 1 }, undefined));
    expect(Math.round((status?.usedUsd ?? 0) * 1_000_000)).toBe(row?.costMicros);
  });
});

describe("cost", () => {
  it("prices answers with overrides: the cost header, context.cost for later taps, and spend", async () => {
    const { store, plugin, gateway } = build({
      costHeader: true,
      prices: { "mock/mock-1": { inputPerMillion: 10, outputPerMillion: 20 } },
    });
    const costs: Array<number | undefined> = [];
    gateway.hooks.requestCompleted.tap("probe", (context) => {
      costs.push(context.cost);
    });
    const { key } = await createKey(store, {});
    const response = await chat(gateway, key);
    const usage = response.json().usage as { prompt_tokens: number; completion_tokens: number };
    const micros = usage.prompt_tokens * 10 + usage.completion_tokens * 20;
    expect(response.headers["x-switchyard-cost"]).toBe(formatCostHeader(micros / 1_000_000));
    await settled(plugin, 1);
    expect(costs[0]).toBeCloseTo(micros / 1_000_000, 12);
    expect((await spendToday(plugin))?.costMicros).toBe(micros);
    // Streams send their headers before the cost is known: no header.
    const streamed = await chat(gateway, key, { stream: true });
    expect(streamed.status).toBe(200);
    expect(streamed.headers["x-switchyard-cost"]).toBeUndefined();
  });

  it("uses the provider's price without overrides and sends no header unless asked", async () => {
    const priced = build({ costHeader: true });
    const key = (await createKey(priced.store, {})).key;
    const response = await chat(priced.gateway, key);
    expect(response.headers["x-switchyard-cost"]).toBe(
      formatCostHeader(mockCostMicros(response.json().usage as never) / 1e6),
    );
    const quiet = build();
    const other = (await createKey(quiet.store, {})).key;
    expect((await chat(quiet.gateway, other)).headers["x-switchyard-cost"]).toBeUndefined();
  });
});

describe("when a store fails", () => {
  const downStore: LimiterStore = {
    consume: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6390")),
    adjust: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6390")),
  };

  it("refuses budgeted requests with 503 when failing closed, admits them when failing open", async () => {
    const closed = build({ limitStore: downStore });
    const key = (await createKey(closed.store, { budget: { daily: 1 } })).key;
    const refused = await chat(closed.gateway, key);
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toBe("1");
    expect(refused.json().error?.code).toBe("rate_limit_store_unavailable");
    const open = build({ limitStore: downStore, failureMode: "open" });
    const other = (await createKey(open.store, { budget: { daily: 1 } })).key;
    expect((await chat(open.gateway, other)).status).toBe(200);
  });

  it("never admits a key it could not check", async () => {
    const memory = createMemoryKeyStore();
    const { key } = await createKey(memory, {});
    const broken: KeyStore = { ...memory, findByHash: () => Promise.reject(new Error("timeout")) };
    const { gateway } = build({ store: broken });
    const response = await chat(gateway, key);
    expect(response.status).toBe(503);
    expect(response.json().error?.code).toBe("auth_store_unavailable");
  });
});

describe("credentials", () => {
  it("never sends the client's key upstream, nor the provider's key to the client", async () => {
    const upstream = await createMockUpstream({ apiKey: "sk-upstream-secret-0123", record: true });
    upstreams.push(upstream);
    const { store, gateway } = build(
      {},
      {
        providers: [
          createOpenAIProvider({
            name: "up",
            baseURL: `${upstream.url}/v1`,
            apiKey: "sk-upstream-secret-0123",
            models: [{ id: "mock-1", price: { inputPerMillion: 1, outputPerMillion: 2 } }],
          }),
        ],
      },
    );
    const { key } = await createKey(store, {});
    const ok = await chat(gateway, key);
    const failed = await chat(gateway, key, { model: "up/does-not-exist" });
    expect(ok.status).toBe(200);
    const sent = JSON.stringify(upstream.requests);
    expect(sent).not.toContain(key);
    expect(upstream.requests[0]?.headers.authorization).toBe("Bearer sk-upstream-secret-0123");
    for (const response of [ok, failed]) {
      expect(response.text).not.toContain("sk-upstream-secret-0123");
      expect(JSON.stringify(response.headers)).not.toContain("sk-upstream-secret-0123");
    }
  });
});
