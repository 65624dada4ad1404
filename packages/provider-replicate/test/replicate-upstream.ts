import { readFileSync } from "node:fs";
import type { WireAnswer, WireRequest, WireResponse, WireStream } from "@switchyard/testing";

/** A fixture from `src/__fixtures__`, with Replicate's hosts rewritten to the fake upstream's origin. */
export function fixture(name: string, origin?: string): string {
  const text = readFileSync(new URL(`../src/__fixtures__/${name}`, import.meta.url), "utf8");
  return origin ? rewriteHosts(text, origin) : text;
}

/** Points Replicate's URLs at `origin`; the stream host gets the path prefix `/streaming`. */
export function rewriteHosts(text: string, origin: string): string {
  return text
    .replaceAll("https://streaming.api.replicate.com", `${origin}/streaming`)
    .replaceAll("https://api.replicate.com", origin);
}

/** SSE events of a recording, one string per event. */
export const sseEvents = (text: string) => text.split(/(?<=\n\n)/);

/** The kind of request Replicate's API received. */
export type ReplicateRoute = "create" | "get" | "stream" | "cancel" | "other";

export function routeOf(wire: WireRequest): ReplicateRoute {
  const path = wire.url.split("?")[0] ?? "";
  if (wire.method === "POST" && /^\/v1\/(models\/[\w.-]+\/[\w.-]+\/)?predictions$/.test(path))
    return "create";
  if (wire.method === "POST" && /^\/v1\/predictions\/[\w-]+\/cancel$/.test(path)) return "cancel";
  if (wire.method === "GET" && /^\/streaming\/v1\/predictions\/[\w-]+$/.test(path)) return "stream";
  if (wire.method === "GET" && /^\/v1\/predictions\/[\w-]+$/.test(path)) return "get";
  return "other";
}

/** A JSON answer. */
export const json = (
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): { json: WireResponse } => ({
  json: {
    status,
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(headers ? { headers } : {}),
  },
});

/** Handlers per route; a route without one answers 500, so an unexpected request fails the test. */
export type ReplicateHandlers = Partial<
  Record<ReplicateRoute, (wire: WireRequest, count: number) => WireAnswer>
>;

/** Routes the fake upstream's requests to per-route handlers, counting calls per route. */
export function replicateRouter(handlers: ReplicateHandlers): (wire: WireRequest) => WireAnswer {
  const counts = new Map<ReplicateRoute, number>();
  return (wire) => {
    const route = routeOf(wire);
    const count = (counts.get(route) ?? 0) + 1;
    counts.set(route, count);
    const handler = handlers[route];
    if (!handler) return json(500, { detail: `unexpected ${wire.method} ${wire.url}` });
    return handler(wire, count);
  };
}

/** A stream answer. */
export const stream = (
  events: readonly string[],
  options: Omit<WireStream, "events"> = {},
): { stream: WireStream } => ({
  stream: { events, ...options },
});
