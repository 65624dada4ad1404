/**
 * One request with its whole answer, to check a server works before it is measured: a benchmark of a server
 * that answers 401 or 500 quickly would otherwise look very good.
 */
import { request as undiciRequest } from "undici";
import type { HttpRequestSpec } from "./scenarios.js";

/** A probe to send. */
export interface ProbeTask {
  readonly kind: "probe";
  readonly url: string;
  readonly request: HttpRequestSpec;
}

/** What came back. */
export interface ProbeResult {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly text: string;
}

/** Sends the probe (10 s deadline) and returns status, content type and body. */
export async function probe(task: ProbeTask): Promise<ProbeResult> {
  const response = await undiciRequest(new URL(task.request.path, task.url), {
    method: task.request.method,
    headers: task.request.headers,
    body: task.request.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.body.text();
  const contentType = response.headers["content-type"];
  return {
    status: response.statusCode,
    contentType: Array.isArray(contentType) ? contentType.join(", ") : contentType,
    text,
  };
}
