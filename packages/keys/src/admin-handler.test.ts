import type { GatewayHttpResponse } from "@switchyard/core";
import { createMemoryStore } from "@switchyard/limiter";
import { describe, expect, it } from "vitest";
import { createAdminHandler } from "./admin-handler.js";
import { createBudgetLedger } from "./budget-ledger.js";
import { createMemoryKeyStore } from "./key-store.js";
import { createMemorySpendStore, utcDay } from "./spend-store.js";

const ADMIN_KEY = "admin-key-0123456789";

function setup() {
  const store = createMemoryKeyStore();
  const spend = createMemorySpendStore();
  const budgets = createBudgetLedger({ store: createMemoryStore(), teams: { red: { monthly: 10 } } });
  const handler = createAdminHandler({ adminKey: ADMIN_KEY, store, spend, budgets, pathPrefix: "/admin" });
  const call = async (method: string, path: string, body?: unknown, key = ADMIN_KEY) => {
    const response: GatewayHttpResponse = await handler({
      method,
      path,
      headers: { "x-api-key": key },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: new AbortController().signal,
    });
    return { status: response.status, headers: response.headers, body: JSON.parse(String(response.body)) };
  };
  return { store, spend, budgets, call };
}

describe("admin API", () => {
  it("requires its own key", async () => {
    const { call } = setup();
    expect((await call("GET", "/admin/keys", undefined, "wrong-admin-key-0000")).status).toBe(401);
    const missing = await setup().call("GET", "/admin/keys", undefined, "");
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe("missing_api_key");
    expect(() => createAdminHandler({ adminKey: "short", store: createMemoryKeyStore() })).toThrow(
      /16 characters/,
    );
  });

  it("creates a key (the secret once), lists keys without hashes, shows budgets and spend, revokes", async () => {
    const { call, spend } = setup();
    const created = await call("POST", "/admin/keys", {
      name: "ci",
      team: "red",
      budget: { daily: 1 },
      models: ["mock-*"],
    });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^sk-swy-/);
    const id = created.body.data.id as string;
    expect(created.body.data).toMatchObject({ id, name: "ci", team: "red", status: "active" });
    expect(JSON.stringify(created.body.data)).not.toContain("sha256");

    const listed = await call("GET", "/admin/keys");
    expect(listed.status).toBe(200);
    expect(listed.body.data).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
    expect(JSON.stringify(listed.body)).not.toContain("sha256");
    expect((await call("GET", "/admin/keys?team=blue")).body.data).toHaveLength(0);

    const day = utcDay(Date.now());
    await spend.record({
      day,
      key: id,
      team: "red",
      model: "mock/mock-1",
      costMicros: 250_000,
      requests: 2,
      inputTokens: 10,
      outputTokens: 20,
    });
    const page = await call("GET", `/admin/keys/${id}`);
    expect(
      page.body.budgets.map(
        (budget: { owner: { kind: string }; period: string }) => `${budget.owner.kind}:${budget.period}`,
      ),
    ).toEqual(["key:daily", "team:monthly"]);
    expect(page.body.budgets[0]).toMatchObject({ limitUsd: 1, usedUsd: 0, remainingUsd: 1 });
    expect(page.body.spendThisMonth).toMatchObject({ costUsd: 0.25, requests: 2 });

    const byModel = await call("GET", `/admin/spend?from=${day}&to=${day}&groupBy=model`);
    expect(byModel.body.total).toMatchObject({ costMicros: 250_000 });
    expect(byModel.body.data).toEqual([expect.objectContaining({ group: "mock/mock-1", costUsd: 0.25 })]);
    expect((await call("GET", "/admin/spend?team=blue")).body.total.costMicros).toBe(0);
    expect((await call("GET", "/admin/spend?groupBy=colour")).status).toBe(400);
    expect((await call("GET", "/admin/spend?from=2025-02-01&to=2025-01-01")).status).toBe(400);

    const revoked = await call("POST", `/admin/keys/${id}/revoke`);
    expect(revoked.body.data).toMatchObject({ id, status: "revoked", revokedAt: expect.any(String) });
    expect((await call("GET", `/admin/keys/${id}`)).body.data.status).toBe("revoked");
    expect((await call("DELETE", "/admin/keys/key_missing")).status).toBe(404);
  });

  it("answers bad requests with OpenAI-shaped errors", async () => {
    const { call } = setup();
    const invalid = await call("POST", "/admin/keys", { budget: { daily: -1 } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.param).toBe("budget.daily");
    expect((await call("POST", "/admin/keys", { colour: "blue" })).status).toBe(400);
    const method = await call("PUT", "/admin/keys");
    expect(method.status).toBe(405);
    expect(method.headers.allow).toBe("GET, POST");
    expect((await call("GET", "/admin/nothing")).status).toBe(404);
    expect((await call("GET", "/elsewhere/keys")).status).toBe(404);
  });
});
