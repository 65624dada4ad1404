/**
 * The floor for any Node gateway: a node:http server that forwards method, path, headers and body to one
 * upstream over an undici Pool and pipes the answer back (streams included, chunk by chunk). No parsing, no
 * validation, no hooks. What Switchyard costs is measured against this.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { pipeline } from "node:stream";
import { type Dispatcher, Pool } from "undici";

// Hop-by-hop headers describe one connection, not the message: each side sets its own.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "host",
]);

function endToEnd(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}

/**
 * Creates the pass-through proxy (not yet listening).
 *
 * @param upstreamOrigin - e.g. `http://127.0.0.1:41234`.
 * @param connections - Pool size; the same as the gateway's per-origin default (256) for a fair comparison.
 */
export function createMinimalProxy(
  upstreamOrigin: string,
  connections = 256,
): { server: Server; pool: Pool } {
  const pool = new Pool(upstreamOrigin, { connections, keepAliveTimeout: 30_000 });
  const server = createServer((request, response) => {
    const controller = new AbortController();
    // Client gone before the end: abort the upstream request too (as the gateway does).
    response.once("close", () => response.writableFinished || controller.abort());
    const method = (request.method ?? "GET") as Dispatcher.HttpMethod;
    pool
      .request({
        method,
        path: request.url ?? "/",
        headers: endToEnd(request.headers),
        body: method === "GET" || method === "HEAD" ? null : request,
        signal: controller.signal,
      })
      .then(
        (upstream) => {
          response.writeHead(upstream.statusCode, endToEnd(upstream.headers));
          pipeline(upstream.body, response, () => {});
        },
        () => {
          if (!response.headersSent) response.writeHead(502);
          response.end();
        },
      );
  });
  return { server, pool };
}
