import { createGateway, type Gateway, hashApiKey, silentLogger } from "@switchyard/core";
import { createRedisStore } from "@switchyard/limiter-redis";
import { createMockProvider } from "@switchyard/provider-mock";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createAdminHandler,
  createKey,
  createKeysFromConfig,
  createVirtualKeysPlugin,
  revokeKey,
  runKeysCommand,
  summarizeSpend,
  utcDay,
} from "../src/index.js";
import { createRedisKeyStore, createRedisSpendStore } from "../src/redis/index.js";
import { chat } from "./helpers.js";
import { dropPrefix, redisSkipReason, redisUrl, uniquePrefix } from "./redis-server.js";

describe.skipIf(redisSkipReason !== undefined)("Redis stores", () => {
  let client: Redis;
  const prefixes: string[] = [];
  const prefixFor = (label: string) => {
    const prefix = uniquePrefix(label);
    prefixes.push(prefix);
    return prefix;
  };
  beforeAll(() => {
    client = new Redis(redisUrl);
  });
  afterAll(async () => {
    for (const prefix of prefixes) await dropPrefix(client, prefix);
    await client.quit();
  });

  it("keeps keys by hash, sees a revocation by another client at once, and refuses duplicates", async () => {
    const prefix = prefixFor("keys");
    const gatewaySide = createRedisKeyStore({ url: redisUrl, prefix });
    const adminSide = createRedisKeyStore({ client, prefix });
    try {
      const { key, record } = await createKey(adminSide, {
        name: "ci",
        team: "red",
        models: ["a", "b*"],
        budget: { daily: 2.5 },
      });
      const found = await gatewaySide.findByHash(hashApiKey(key));
      expect(found).toMatchObject({ ...record, sha256: hashApiKey(key) });
      expect(await gatewaySide.findByHash("0".repeat(64))).toBeUndefined();
      expect(await gatewaySide.findByHash("not-a-hash")).toBeUndefined();
      // Nothing in Redis holds the secret.
      const stored = await client.hgetall(`{${prefix}}k:${hashApiKey(key)}`);
      expect(JSON.stringify(stored)).not.toContain(key);

      await revokeKey(adminSide, record.id);
      expect((await gatewaySide.findByHash(hashApiKey(key)))?.revokedAt).toEqual(expect.any(String));
      await expect(adminSide.add({ ...record, sha256: "1".repeat(64) })).rejects.toThrow(/already exists/);
      const second = await createKey(adminSide, {});
      expect((await gatewaySide.list()).map((item) => item.id)).toEqual([record.id, second.record.id]);
      expect(await adminSide.update("key_missing", { name: "x" })).toBeUndefined();
      expect((await adminSide.update(second.record.id, { name: "renamed" }))?.name).toBe("renamed");
    } finally {
      await gatewaySide.close?.();
    }
  });

  it("adds spend from several stores into the same counters", async () => {
    const prefix = prefixFor("spend");
    const stores = [createRedisSpendStore({ client, prefix }), createRedisSpendStore({ client, prefix })];
    const entry = {
      day: "2025-06-01",
      key: "k1",
      team: "red",
      model: "p/m",
      costMicros: 5,
      requests: 1,
      inputTokens: 3,
      outputTokens: 1,
    };
    await Promise.all(Array.from({ length: 20 }, (_, index) => stores[index % 2]?.record(entry)));
    await stores[0]?.record({
      ...entry,
      day: "2025-06-02",
      key: "k2",
      team: undefined as never,
      costMicros: 7,
    });
    const rows = await stores[1]?.query({ from: "2025-06-01", to: "2025-06-02" });
    expect(rows).toEqual([
      {
        day: "2025-06-01",
        key: "k1",
        team: "red",
        model: "p/m",
        costMicros: 100,
        requests: 20,
        inputTokens: 60,
        outputTokens: 20,
      },
      {
        day: "2025-06-02",
        key: "k2",
        model: "p/m",
        costMicros: 7,
        requests: 1,
        inputTokens: 3,
        outputTokens: 1,
      },
    ]);
    expect(await stores[0]?.query({ from: "2025-06-01", to: "2025-06-02", team: "red" })).toHaveLength(1);
    expect(await client.ttl(`{${prefix}}d:2025-06-01`)).toBeGreaterThan(399 * 86_400);
  });

  it("runs the plugin on Redis: budgets, spend, and revocation through the admin API", async () => {
    const prefix = prefixFor("plugin");
    const store = createRedisKeyStore({ client, prefix: `${prefix}keys:` });
    const spendStore = createRedisSpendStore({ client, prefix: `${prefix}spend:` });
    const limitStore = createRedisStore({ client, prefix: `${prefix}budget:` });
    const plugin = createVirtualKeysPlugin({ store, spendStore, limitStore });
    const gateway: Gateway = createGateway({
      logger: silentLogger,
      requireAuth: true,
      providers: [createMockProvider({ replyTokens: 8 })],
      plugins: [plugin],
    });
    const admin = createAdminHandler({
      adminKey: "admin-key-0123456789",
      store,
      spend: spendStore,
      budgets: plugin.budgets,
    });
    try {
      const { key, record } = await createKey(store, { team: "red", budget: { daily: 0.00005 } });
      const ok = await chat(gateway, key);
      expect(ok.status).toBe(200);
      const day = utcDay(Date.now());
      await expect
        .poll(async () => summarizeSpend(await spendStore.query({ from: day, to: day }))[0]?.requests)
        .toBe(1);
      expect((await chat(gateway, key)).status).toBe(402);
      const revoked = await admin({
        method: "DELETE",
        path: `/keys/${record.id}`,
        headers: { authorization: "Bearer admin-key-0123456789" },
        signal: new AbortController().signal,
      });
      expect(revoked.status).toBe(200);
      const refused = await chat(gateway, key);
      expect(refused.status).toBe(401);
      expect(refused.json().error?.message).toBe("The API key has been revoked.");
    } finally {
      await gateway.close({ graceMs: 0 });
    }
  });

  it("builds everything from the CLI's config section, and the CLI manages Redis keys", async () => {
    const prefix = prefixFor("config");
    let output = "";
    let errors = "";
    const io = {
      out: (text: string) => {
        output += text;
      },
      err: (text: string) => {
        errors += text;
      },
      env: {},
    };
    expect(
      await runKeysCommand(["create", "--store", redisUrl, "--prefix", prefix, "--daily", "1"], io),
    ).toBe(0);
    const key = /(sk-swy-\S+)/.exec(output)?.[1] as string;
    const setup = await createKeysFromConfig(
      { store: redisUrl, prefix, costHeader: true },
      { adminKey: "admin-key-0123456789" },
    );
    const gateway = createGateway({
      logger: silentLogger,
      requireAuth: true,
      providers: [createMockProvider()],
      plugins: [setup.plugin],
    });
    try {
      const response = await chat(gateway, key);
      expect(response.status).toBe(200);
      expect(response.headers["x-switchyard-cost"]).toMatch(/^0\.\d+$/);
      const listed = await setup.admin?.({
        method: "GET",
        path: "/keys",
        headers: { "x-api-key": "admin-key-0123456789" },
        signal: new AbortController().signal,
      });
      expect(JSON.parse(String(listed?.body)).data).toHaveLength(1);
      output = "";
      expect(await runKeysCommand(["list", "--store", redisUrl, "--prefix", prefix, "--json"], io)).toBe(0);
      const id = JSON.parse(output)[0].id as string;
      expect(await runKeysCommand(["revoke", id, "--store", redisUrl, "--prefix", prefix], io)).toBe(0);
      expect((await chat(gateway, key)).status).toBe(401);
      expect(errors).toBe("");
    } finally {
      await gateway.close({ graceMs: 0 });
      await setup.close();
    }
  });
});
