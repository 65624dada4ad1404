import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGateway, hashApiKey, type Logger } from "@switchyard/core";
import type { LimiterStore } from "@switchyard/limiter";
import { createMockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createAdminHandler,
  createFileKeyStore,
  createKey,
  createVirtualKeysPlugin,
  type KeyStore,
  revokeKey,
} from "../src/index.js";
import { chat } from "./helpers.js";

// Keys must never reach a log line: drive every path a key can take (valid, wrong, malformed, revoked,
// expired, refused model, exhausted budget, failing stores, the admin API) through a gateway whose logger
// records everything, with process output captured too, and look for any trace of the keys.

const UPSTREAM_KEY = "sk-upstream-provider-secret-0123";
const ADMIN_KEY = "admin-key-0123456789-secret";

/** Serialises log objects the way a JSON logger would, errors with their messages, stacks and causes. */
function serialise(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) =>
    field instanceof Error
      ? { ...field, name: field.name, message: field.message, stack: field.stack, cause: field.cause }
      : field,
  );
}

describe("keys never appear in logs", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "swy-keys-logs-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("logs requests by key id only, whatever happens to the key", async () => {
    const lines: string[] = [];
    const logger: Logger = {
      debug: (object, message) => lines.push(serialise({ level: "debug", ...object, message })),
      info: (object, message) => lines.push(serialise({ level: "info", ...object, message })),
      warn: (object, message) => lines.push(serialise({ level: "warn", ...object, message })),
      error: (object, message) => lines.push(serialise({ level: "error", ...object, message })),
    };
    const printed: string[] = [];
    const writes = { out: process.stdout.write, err: process.stderr.write };
    const capture = (chunk: unknown) => {
      printed.push(String(chunk));
      return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;

    const upstream = await createMockUpstream({ apiKey: UPSTREAM_KEY, record: false });
    const fileStore = createFileKeyStore({ path: join(dir, "keys.json") });
    let failKeyStore = false;
    const store: KeyStore = {
      ...fileStore,
      findByHash: (hash) =>
        failKeyStore
          ? // Like an ioredis error: the failed command and its arguments (which name the hash) ride along.
            Promise.reject(
              Object.assign(new Error("key store timeout"), {
                command: { name: "hgetall", args: [`{swy:keys:}k:${hash}`] },
              }),
            )
          : fileStore.findByHash(hash),
    };
    let failLimitStore = false;
    const plugin = createVirtualKeysPlugin({ store, costHeader: true });
    const realLimits = plugin.limitStore;
    const flakyLimits: LimiterStore = {
      consume: (checks) =>
        failLimitStore ? Promise.reject(new Error("limit store down")) : realLimits.consume(checks),
      adjust: (adjustments) => realLimits.adjust(adjustments),
    };
    const flakyPlugin = createVirtualKeysPlugin({
      store,
      limitStore: flakyLimits,
      spendStore: plugin.spendStore,
    });
    const gateway = createGateway({
      logger,
      requireAuth: true,
      telemetry: { requestLog: { level: "debug" } },
      providers: [
        createOpenAIProvider({
          name: "up",
          baseURL: `${upstream.url}/v1`,
          apiKey: UPSTREAM_KEY,
          models: [{ id: "mock-1", price: { inputPerMillion: 1, outputPerMillion: 2 } }, "mock-1-mini"],
        }),
      ],
      plugins: [flakyPlugin],
    });
    const admin = createAdminHandler({ adminKey: ADMIN_KEY, store, spend: plugin.spendStore });
    const presented: string[] = [];
    try {
      const valid = await createKey(store, { models: ["mock-1"], budget: { daily: 0.00004 } });
      const revoked = await createKey(store, {});
      const expired = await createKey(store, { expiresAt: "2020-01-01T00:00:00Z" });
      await revokeKey(store, revoked.record.id);
      const wrong = `sk-swy-${"Q".repeat(43)}`;
      presented.push(valid.key, revoked.key, expired.key, wrong, "sk-swy-bad!chars", ADMIN_KEY);

      const statuses = [
        (await chat(gateway, valid.key)).status,
        (await chat(gateway, valid.key, { model: "mock-1-mini" })).status,
        (await chat(gateway, valid.key)).status, // the budget is spent by now
        (await chat(gateway, valid.key, { model: "up/does-not-exist" })).status,
        (await chat(gateway, wrong)).status,
        (await chat(gateway, "sk-swy-bad!chars")).status,
        (await chat(gateway, revoked.key)).status,
        (await chat(gateway, expired.key)).status,
        (await chat(gateway, undefined, {}, { headers: { "x-api-key": valid.key } })).status,
      ];
      failKeyStore = true;
      statuses.push((await chat(gateway, valid.key)).status);
      failKeyStore = false;
      failLimitStore = true;
      statuses.push((await chat(gateway, valid.key)).status);
      failLimitStore = false;
      const created = await admin({
        method: "POST",
        path: "/keys",
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
        body: "{}",
        signal: new AbortController().signal,
      });
      presented.push(JSON.parse(String(created.body)).key);
      statuses.push(created.status);
      statuses.push(
        (
          await admin({
            method: "GET",
            path: "/keys",
            headers: { authorization: `Bearer ${wrong}` },
            signal: new AbortController().signal,
          })
        ).status,
      );
      expect(statuses).toEqual([200, 403, 402, 403, 401, 401, 401, 401, 402, 503, 503, 201, 401]);
      await gateway.close({ graceMs: 1_000 });
    } finally {
      process.stdout.write = writes.out;
      process.stderr.write = writes.err;
      await upstream.close();
    }

    const everything = [...lines, ...printed].join("\n");
    // The logs are there, and name keys by id.
    expect(lines.filter((line) => line.includes('"message":"request"')).length).toBeGreaterThanOrEqual(11);
    expect(everything).toContain("virtual keys: key store failed");
    expect(everything).toContain("virtual keys: limit store failed");
    for (const key of [...presented, UPSTREAM_KEY]) {
      expect(everything).not.toContain(key);
      expect(everything).not.toContain(hashApiKey(key));
    }
    for (const key of presented.filter((item) => item.startsWith("sk-swy-"))) {
      expect(everything).not.toContain(key.slice("sk-swy-".length, "sk-swy-".length + 16));
    }
  });
});
