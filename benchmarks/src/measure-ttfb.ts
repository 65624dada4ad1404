/**
 * Time to first streamed byte at one connection: sequential streaming requests over one keep-alive
 * connection per server, timed from sending the request until the first body byte arrives. The servers are
 * interleaved request by request (gateway, proxy, proxy, gateway, ...) so slow drift on the machine hits
 * both alike.
 */
import { Pool } from "undici";
import type { HttpRequestSpec } from "./scenarios.js";
import { type LatencySummary, summarise } from "./stats.js";

/** A time-to-first-byte measurement to run. */
export interface TtfbTask {
  readonly kind: "ttfb";
  /** Servers by name, e.g. `{ gateway: url, proxy: url }`. */
  readonly targets: Readonly<Record<string, string>>;
  readonly request: HttpRequestSpec;
  /** Measured requests per server. */
  readonly requests: number;
  /** Unmeasured requests per server first (JIT, connection set-up). */
  readonly warmupRequests: number;
}

/** One server's timings: summaries, and every first-byte sample in round order (for paired comparisons). */
export interface ServerTtfb {
  readonly firstByte: LatencySummary;
  readonly complete: LatencySummary;
  readonly firstByteSamplesMs: readonly number[];
}

/** Per server, by the names given in the task. */
export type TtfbResult = Readonly<Record<string, ServerTtfb>>;

async function timeOne(
  pool: Pool,
  request: HttpRequestSpec,
): Promise<{ firstByteMs: number; completeMs: number }> {
  const startedAt = performance.now();
  const response = await pool.request({
    method: request.method,
    path: request.path,
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(10_000),
  });
  let firstByteAt: number | undefined;
  let last = "";
  for await (const chunk of response.body) {
    firstByteAt ??= performance.now();
    last = (chunk as Buffer).toString("latin1");
  }
  const completeAt = performance.now();
  if (response.statusCode !== 200 || firstByteAt === undefined || !last.includes("[DONE]")) {
    throw new Error(
      `time-to-first-byte request failed: status ${response.statusCode}, tail '${last.slice(-80)}'`,
    );
  }
  return { firstByteMs: firstByteAt - startedAt, completeMs: completeAt - startedAt };
}

/** Runs the interleaved sequence. Bounded: `requests + warmupRequests` per server, 10 s each at most. */
export async function measureTtfb(task: TtfbTask): Promise<TtfbResult> {
  const names = Object.keys(task.targets);
  const pools = new Map(
    names.map((name) => [name, new Pool(task.targets[name] as string, { connections: 1 })]),
  );
  const firstBytes = new Map<string, number[]>(names.map((name) => [name, []]));
  const completes = new Map<string, number[]>(names.map((name) => [name, []]));
  try {
    for (let round = 0; round < task.warmupRequests + task.requests; round++) {
      // Alternate the order each round so neither server always runs right after the other.
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const name of order) {
        const timing = await timeOne(pools.get(name) as Pool, task.request);
        if (round < task.warmupRequests) continue;
        firstBytes.get(name)?.push(timing.firstByteMs);
        completes.get(name)?.push(timing.completeMs);
      }
    }
  } finally {
    await Promise.all([...pools.values()].map((pool) => pool.destroy()));
  }
  const result: Record<string, ServerTtfb> = {};
  for (const name of names) {
    result[name] = {
      firstByte: summarise(firstBytes.get(name) ?? []),
      complete: summarise(completes.get(name) ?? []),
      firstByteSamplesMs: firstBytes.get(name) ?? [],
    };
  }
  return result;
}
