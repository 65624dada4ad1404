/**
 * One throughput run: autocannon at a fixed connection count for a fixed time. Every 2xx response's latency
 * is kept (from autocannon's per-response event, in fractional ms) and sent back whole, because autocannon's
 * own histogram has 1 ms resolution, too coarse for sub-millisecond answers, and because a cell's rounds
 * are merged before percentiles are taken.
 */
import autocannon from "autocannon";
import type { HttpRequestSpec } from "./scenarios.js";

/** A throughput run to do. */
export interface AutocannonTask {
  readonly kind: "autocannon";
  /** Server base URL. */
  readonly url: string;
  readonly request: HttpRequestSpec;
  readonly connections: number;
  readonly durationSeconds: number;
}

/** What one run measured. Latency and throughput count 2xx responses only. */
export interface LoadMeasurement {
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly durationSeconds: number;
  readonly okBytes: number;
  /** Latency of every 2xx response, ms. */
  readonly latencySamplesMs: readonly number[];
}

// autocannon emits (client, statusCode, bytes, responseTime ms); @types/autocannon omits the client.
interface ResponseEvents {
  on(
    event: "response",
    listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void,
  ): void;
}

/** Runs once. Bounded: autocannon stops after `durationSeconds`, requests time out after 10 s. */
export function runAutocannon(task: AutocannonTask): Promise<LoadMeasurement> {
  const samples: number[] = [];
  let okBytes = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: new URL(task.request.path, task.url).href,
        method: task.request.method,
        headers: { ...task.request.headers },
        body: task.request.body,
        connections: task.connections,
        pipelining: 1,
        duration: task.durationSeconds,
        timeout: 10,
      },
      (error: Error | null, result: autocannon.Result) => {
        if (error) {
          reject(error);
          return;
        }
        resolve({
          ok: samples.length,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          durationSeconds: result.duration > 0 ? result.duration : task.durationSeconds,
          okBytes,
          // Rounded to the microsecond: smaller over IPC, and finer than anything measured here.
          latencySamplesMs: samples.map((value) => Math.round(value * 1000) / 1000),
        });
      },
    );
    (instance as unknown as ResponseEvents).on("response", (_client, statusCode, bytes, responseTimeMs) => {
      if (statusCode < 200 || statusCode >= 300) return;
      okBytes += bytes;
      samples.push(responseTimeMs);
    });
  });
}
