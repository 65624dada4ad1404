import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { hashApiKey } from "@switchyard/core";
import { createRedisStore } from "@switchyard/limiter-redis";
import { Redis } from "ioredis";
import { Pool } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBudgetLedger, createKey, revokeKey, summarizeSpend, utcDay } from "../src/index.js";
import { createRedisKeyStore, createRedisSpendStore } from "../src/redis/index.js";
import { mockCostMicros } from "./helpers.js";
import { dropPrefix, redisSkipReason, redisUrl, uniquePrefix } from "./redis-server.js";

// The acceptance test of budgets: two gateway processes share one Redis; concurrent clients on both spend
// one key's budget until it refuses. What was charged must equal what the answers cost, never exceed the
// budget, and use it up to within one request's worst case. Real processes, real Redis, built JS.

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const gatewayScript = fileURLToPath(new URL("./fixtures/gateway-process.mjs", import.meta.url));
const REPLICAS = 2;
const CLIENTS_PER_REPLICA = 12;
const BUDGET_USD = 0.002; // 2,000 micro-USD: about 85 answers of 23 micro-USD, reserved at ~48 each.
const TEAM_BUDGET_USD = 1;
const MAX_TOKENS = 16;
const body = JSON.stringify({
  model: "mock-1",
  max_tokens: MAX_TOKENS,
  messages: [{ role: "user", content: "Where does the night train go?" }],
});

interface Replica {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function startReplica(prefix: string): Promise<Replica> {
  const child = spawn(process.execPath, [gatewayScript], {
    cwd: repoRoot,
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      PREFIX: prefix,
      TEAMS: JSON.stringify({ red: { monthly: TEAM_BUDGET_USD } }),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    output += text;
  });
  return new Promise((resolve, reject) => {
    child.stdout?.setEncoding("utf8").on("data", (text: string) => {
      output += text;
      const match = /listening (http:\/\/\S+)/.exec(output);
      if (match) resolve({ child, url: match[1] as string, output: () => output });
    });
    child.once("exit", (code) => reject(new Error(`replica exited (${code}) before listening:\n${output}`)));
  });
}

interface Outcome {
  readonly replica: number;
  readonly status: number;
  readonly costMicros: number;
  readonly code: string | undefined;
  readonly message: string | undefined;
}

async function send(pool: Pool, replica: number, key: string): Promise<Outcome> {
  const response = await pool.request({
    path: "/v1/chat/completions",
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body,
  });
  const parsed = JSON.parse(await response.body.text());
  return {
    replica,
    status: response.statusCode,
    costMicros: response.statusCode === 200 ? mockCostMicros(parsed.usage) : 0,
    code: parsed.error?.code,
    message: parsed.error?.message,
  };
}

describe.skipIf(redisSkipReason !== undefined)(
  "budgets across two gateway processes sharing one Redis",
  () => {
    const prefix = uniquePrefix("keys-budget");
    const replicas: Replica[] = [];
    let pools: Pool[] = [];
    let client: Redis;

    beforeAll(async () => {
      // The replicas run the built JavaScript: build this package and what the fixture needs (incremental).
      execFileSync(
        "pnpm",
        ["exec", "tsc", "-b", "packages/keys", "packages/http", "packages/provider-mock"],
        {
          cwd: repoRoot,
          stdio: "inherit",
          timeout: 240_000,
        },
      );
      client = new Redis(redisUrl);
      replicas.push(...(await Promise.all(Array.from({ length: REPLICAS }, () => startReplica(prefix)))));
      pools = replicas.map(({ url }) => new Pool(url, { connections: CLIENTS_PER_REPLICA }));
    }, 300_000);

    afterAll(async () => {
      await Promise.all(pools.map((pool) => pool.close()));
      await Promise.all(
        replicas.map(async ({ child }) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = once(child, "exit");
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
          await exited;
          clearTimeout(timer);
        }),
      );
      await dropPrefix(client, prefix);
      await client.quit();
    });

    it("charges exactly what the answers cost, never more than the budget, and revokes at once everywhere", async () => {
      const keys = createRedisKeyStore({ client, prefix: `${prefix}keys:` });
      const spend = createRedisSpendStore({ client, prefix: `${prefix}spend:` });
      const ledger = createBudgetLedger({
        store: createRedisStore({ client, prefix: `${prefix}budget:` }),
        teams: { red: { monthly: TEAM_BUDGET_USD } },
      });
      const { key, record } = await createKey(keys, { team: "red", budget: { total: BUDGET_USD } });
      const lines = ledger.linesFor(record.id, record.budget, "red");
      const budgetMicros = BUDGET_USD * 1_000_000;
      const day = utcDay(Date.now());
      const spent = async () => summarizeSpend(await spend.query({ from: day, to: day, key: record.id }))[0];
      const used = async () =>
        (await ledger.status(lines)).map((status) => Math.round(status.usedUsd * 1_000_000));

      // Load: every client of both replicas sends until its first refusal.
      const outcomes: Outcome[] = [];
      await Promise.all(
        Array.from({ length: REPLICAS * CLIENTS_PER_REPLICA }, async (_, client) => {
          const replica = client % REPLICAS;
          for (let sent = 0; sent < 200; sent++) {
            const outcome = await send(pools[replica] as Pool, replica, key);
            outcomes.push(outcome);
            if (outcome.status !== 200) break;
          }
        }),
      );
      const admitted = outcomes.filter((outcome) => outcome.status === 200);
      expect(outcomes.every((outcome) => outcome.status === 200 || outcome.code === "budget_exceeded")).toBe(
        true,
      );
      expect(new Set(admitted.map((outcome) => outcome.replica)).size).toBe(REPLICAS);
      // Settlement follows the answers: wait until every admitted request is in the spend counters.
      await expect.poll(async () => (await spent())?.requests, { timeout: 10_000 }).toBe(admitted.length);
      let charged = admitted.reduce((sum, outcome) => sum + outcome.costMicros, 0);
      expect((await spent())?.costMicros).toBe(charged);
      expect(await used()).toEqual([charged, charged]);
      expect(charged).toBeLessThanOrEqual(budgetMicros);

      // Drain: one request at a time, settled before the next, until the budget refuses. Then what is left is
      // less than one request's worst case: refunds were given back, the budget was spent to the end.
      let refusal: Outcome | undefined;
      let drained = 0;
      for (let sent = 0; sent < 100 && refusal === undefined; sent++) {
        const outcome = await send(pools[sent % REPLICAS] as Pool, sent % REPLICAS, key);
        if (outcome.status !== 200) refusal = outcome;
        else {
          charged += outcome.costMicros;
          drained++;
          await expect.poll(async () => (await spent())?.costMicros).toBe(charged);
        }
      }
      expect(refusal?.code).toBe("budget_exceeded");
      expect(await used()).toEqual([charged, charged]);
      expect(charged).toBeLessThanOrEqual(budgetMicros);
      // The reservation: the prompt's estimate at 1 $/M plus max_tokens at 2 $/M, as the 402 states it.
      const worstCase = Math.round(
        Number(/may cost up to \$([\d.]+)/.exec(refusal?.message ?? "")?.[1]) * 1_000_000,
      );
      expect(worstCase).toBeGreaterThan(MAX_TOKENS * 2);
      expect(budgetMicros - charged).toBeLessThan(worstCase);
      // Refunds mattered: more answers fit than worst-case reservations would have allowed.
      expect(admitted.length + drained).toBeGreaterThan(Math.floor(budgetMicros / worstCase));

      // Revocation: refused from the very next request, on every replica.
      await revokeKey(keys, record.id);
      for (let replica = 0; replica < REPLICAS; replica++) {
        const outcome = await send(pools[replica] as Pool, replica, key);
        expect(outcome).toMatchObject({ status: 401, code: "invalid_api_key" });
      }

      // Neither the key nor its hash is in anything the replicas printed (their logs are at debug level).
      for (const replica of replicas) {
        expect(replica.output()).toContain('"msg":"request"');
        expect(replica.output()).not.toContain(key);
        expect(replica.output()).not.toContain(key.slice("sk-swy-".length));
        expect(replica.output()).not.toContain(hashApiKey(key));
      }
    });
  },
);
