/**
 * Holds many slow streams open at once (one connection each), reading every one to its end: the load under
 * which the memory phase samples the server's resident set size.
 */
import { Pool } from "undici";
import type { HttpRequestSpec } from "./scenarios.js";
import { percentile } from "./stats.js";

/** A wave of concurrent streams to run. */
export interface StreamsTask {
  readonly kind: "streams";
  readonly url: string;
  readonly request: HttpRequestSpec;
  readonly concurrency: number;
  /** Every stream is aborted after this long. */
  readonly timeoutMs: number;
}

/** How the wave went. */
export interface StreamsResult {
  readonly completed: number;
  readonly failed: number;
  /** First failure, for the report. */
  readonly firstError: string | undefined;
  readonly medianMs: number;
  readonly maxMs: number;
}

/** Opens `concurrency` streams at once and waits for all of them (bounded by `timeoutMs`). */
export async function runConcurrentStreams(task: StreamsTask): Promise<StreamsResult> {
  const pool = new Pool(task.url, { connections: task.concurrency });
  const durations: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  const one = async () => {
    const startedAt = performance.now();
    try {
      const response = await pool.request({
        method: task.request.method,
        path: task.request.path,
        headers: task.request.headers,
        body: task.request.body,
        signal: AbortSignal.timeout(task.timeoutMs),
      });
      let last = "";
      for await (const chunk of response.body) last = (chunk as Buffer).toString("latin1");
      if (response.statusCode !== 200 || !last.includes("[DONE]")) {
        throw new Error(`status ${response.statusCode}, tail '${last.slice(-80)}'`);
      }
      durations.push(performance.now() - startedAt);
    } catch (error) {
      failed++;
      firstError ??= error instanceof Error ? error.message : String(error);
    }
  };
  try {
    await Promise.all(Array.from({ length: task.concurrency }, one));
  } finally {
    await pool.destroy();
  }
  return {
    completed: durations.length,
    failed,
    firstError,
    medianMs: percentile(durations, 50),
    maxMs: durations.length === 0 ? Number.NaN : Math.max(...durations),
  };
}
