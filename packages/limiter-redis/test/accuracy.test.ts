import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisSkipReason, redisUrl, uniquePrefix } from "./redis-server.js";

// The acceptance test of the Redis store: three gateway processes share one Redis, 200 concurrent clients
// hammer them, and no window ever admits one request over the limit. Real processes, real Redis, built JS.

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const gatewayScript = fileURLToPath(new URL("./fixtures/gateway-process.mjs", import.meta.url));
const REPLICAS = 3;
const CLIENTS = 200;
const REQUEST_LIMIT = 25;
const TOKEN_LIMIT = 600;
const MAX_TOKENS = 12;

// Each limit applies to one model, so each phase exercises one. Both are global: one counter for all.
const limits = [
  {
    name: "rps",
    limit: REQUEST_LIMIT,
    per: "second",
    algorithm: "fixed-window",
    key: "global",
    models: ["mock-1"],
  },
  {
    name: "tps",
    unit: "tokens",
    limit: TOKEN_LIMIT,
    per: "second",
    algorithm: "fixed-window",
    key: "global",
    models: ["mock-1-mini"],
  },
];

interface Outcome {
  readonly replica: number;
  readonly status: number;
  readonly reservedAt: number;
  readonly reserved: number;
  readonly usedTokens: number;
  readonly retryAfter: string | undefined;
}

function startReplica(prefix: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [gatewayScript], {
    cwd: repoRoot,
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      LIMIT_PREFIX: prefix,
      LIMITS: JSON.stringify(limits),
      REPLY_TOKENS: String(MAX_TOKENS),
      // Generous: on a loaded machine a slow answer must not turn into a 503 (this test is about accuracy).
      STORE_TIMEOUT_MS: "10000",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  return new Promise((resolve, reject) => {
    let stdout = "";
    child.stdout?.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
      const match = /listening (http:\/\/\S+)/.exec(stdout);
      if (match) resolve({ child, url: match[1] as string });
    });
    child.once("exit", (code) => reject(new Error(`replica exited (${code}) before listening:\n${stderr}`)));
  });
}

/** Runs CLIENTS concurrent clients for `durationMs`, each sending one request after another. */
async function load(pools: readonly Pool[], model: string, durationMs: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const body = JSON.stringify({
    model,
    max_tokens: MAX_TOKENS,
    messages: [{ role: "user", content: "Where does the night train go?" }],
  });
  const deadline = performance.now() + durationMs;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let sent = 0; sent < 400 && performance.now() < deadline; sent++) {
        const replica = (client + sent) % pools.length;
        const response = await (pools[replica] as Pool).request({
          path: "/v1/chat/completions",
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        const text = await response.body.text();
        const header = (name: string) => {
          const value = response.headers[name];
          return typeof value === "string" ? value : undefined;
        };
        outcomes.push({
          replica,
          status: response.statusCode,
          reservedAt: Number(header("x-test-reserved-at") ?? Number.NaN),
          reserved: Number(header("x-test-reserved") ?? 0),
          usedTokens: response.statusCode === 200 ? (JSON.parse(text).usage?.total_tokens ?? Number.NaN) : 0,
          retryAfter: header("retry-after"),
        });
      }
    }),
  );
  return outcomes;
}

/** Admitted requests grouped by the one-second window the Redis clock put their reservation in. */
function byWindow(outcomes: readonly Outcome[]): Map<number, Outcome[]> {
  const windows = new Map<number, Outcome[]>();
  for (const outcome of outcomes) {
    if (outcome.status !== 200) continue;
    const window = Math.floor(outcome.reservedAt / 1000);
    windows.set(window, [...(windows.get(window) ?? []), outcome]);
  }
  return windows;
}

describe.skipIf(redisSkipReason !== undefined)("accuracy: 3 gateway processes sharing one Redis", () => {
  const replicas: Array<{ child: ChildProcess; url: string }> = [];
  let pools: Pool[] = [];

  beforeAll(async () => {
    // The replicas run the built JavaScript: build this package and what it needs (incremental).
    execFileSync(
      "pnpm",
      ["exec", "tsc", "-b", "packages/limiter-redis", "packages/http", "packages/provider-mock"],
      {
        cwd: repoRoot,
        stdio: "inherit",
        timeout: 240_000,
      },
    );
    const prefix = uniquePrefix("accuracy");
    replicas.push(...(await Promise.all(Array.from({ length: REPLICAS }, () => startReplica(prefix)))));
    pools = replicas.map(({ url }) => new Pool(url, { connections: Math.ceil(CLIENTS / REPLICAS) }));
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
  });

  it("admits not one request over the limit in any window, across all replicas", async () => {
    const outcomes = await load(pools, "mock-1", 3_200);
    const admitted = outcomes.filter((outcome) => outcome.status === 200);
    const refused = outcomes.filter((outcome) => outcome.status === 429);
    expect(admitted.length + refused.length).toBe(outcomes.length);
    const counts = [...byWindow(outcomes).values()].map((window) => window.length);
    expect(Math.max(...counts)).toBe(REQUEST_LIMIT);
    expect(counts.every((count) => count <= REQUEST_LIMIT)).toBe(true);
    // Every replica admitted some: the limit is one limit across processes, not one per process.
    expect(new Set(admitted.map((outcome) => outcome.replica)).size).toBe(REPLICAS);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((outcome) => outcome.retryAfter === "1")).toBe(true);
  });

  it("holds the token limit within the documented bound in every window", async () => {
    const outcomes = await load(pools, "mock-1-mini", 3_200);
    expect(outcomes.every((outcome) => outcome.status === 200 || outcome.status === 429)).toBe(true);
    expect(outcomes.some((outcome) => outcome.status === 429)).toBe(true);
    for (const [window, admitted] of byWindow(outcomes)) {
      const used = admitted.reduce((sum, outcome) => sum + outcome.usedTokens, 0);
      // The bound (docs/guides/rate-limiting.md): usage of the requests admitted in a window is at most the
      // limit plus what they used beyond their reservations.
      const overshoot = admitted.reduce(
        (sum, outcome) => sum + Math.max(0, outcome.usedTokens - outcome.reserved),
        0,
      );
      expect(used, `window ${window}`).toBeLessThanOrEqual(TOKEN_LIMIT + overshoot);
    }
    // The estimate covers the mock's count here, so the bound is the limit itself.
    expect(
      outcomes
        .filter((outcome) => outcome.status === 200)
        .every((outcome) => outcome.usedTokens <= outcome.reserved),
    ).toBe(true);
  });
});
