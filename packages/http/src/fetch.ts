/**
 * Fetch-standard adapter: `(request: Request) => Promise<Response>` for Bun, Deno, Hono and serverless
 * functions. Uses only web-standard APIs itself; where it runs is bounded by core (see the reference doc).
 *
 * @packageDocumentation
 */
import type { Gateway, GatewayHttpResponse } from "@switchyard/core";
import { type CorsOptions, createCors, withCorsHeaders } from "./cors.js";
import { normalisePrefix, pathBelow } from "./mount-path.js";

/**
 * Options of `createFetchHandler`. `Platform` is what the host passes after the request (Deno's
 * `ServeHandlerInfo`, Bun's `Server`): annotate `remoteAddress`'s parameters and it is inferred.
 */
export interface FetchHandlerOptions<Platform extends unknown[] = []> {
  /** Mount path, stripped before routing, e.g. `/llm`. @default "" */
  pathPrefix?: string;
  /** Cross-origin access for browsers. @default undefined (CORS off) */
  cors?: CorsOptions;
  /**
   * The client's IP address (the socket peer), which a `Request` does not carry: the host hands it over
   * beside the request, and this reads it from there. It becomes `context.remoteAddress` (per-IP rate
   * limits, logs). Gets the handler's arguments as the host passed them:
   * - Deno: `Deno.serve(handler)`, `remoteAddress: (_request, info: Deno.ServeHandlerInfo) => info.remoteAddr.hostname`
   * - Bun: `Bun.serve({ fetch: handler })`, `remoteAddress: (request, server: Server) => server.requestIP(request)?.address`
   * - @hono/node-server: `(_request, env: HttpBindings) => env.incoming.socket.remoteAddress`
   * - Cloudflare Workers (no socket): `(request) => request.headers.get("cf-connecting-ip") ?? undefined`
   * @default undefined (`context.remoteAddress` stays undefined)
   */
  remoteAddress?: (request: Request, ...platform: Platform) => string | undefined;
}

/**
 * A fetch-style handler: what `Bun.serve`, `Deno.serve`, Hono's `app.mount` and workers take. Whatever
 * the host passes after the request (Bun's server, Deno's connection info) goes to the `remoteAddress`
 * option.
 */
export type FetchHandler<Platform extends unknown[] = []> = (
  request: Request,
  ...platform: Platform
) => Promise<Response>;

/**
 * Serves the gateway as a fetch handler. The request body is read as a stream (so the body limit applies
 * before buffering), `request.signal` aborting means the client went away, and a streamed answer is a
 * pull-based `ReadableStream`: one chunk is taken from the gateway per pull, so a slow reader slows the
 * upstream read, and cancelling the stream ends it.
 */
export function createFetchHandler<Platform extends unknown[] = []>(
  gateway: Gateway,
  options: FetchHandlerOptions<Platform> = {},
): FetchHandler<Platform> {
  const prefix = normalisePrefix(options.pathPrefix);
  const cors = options.cors ? createCors(options.cors) : undefined;
  const remoteAddressOf = options.remoteAddress;
  return async (request, ...platform) => {
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    // Names come lower-cased, repeated headers joined with ", ": what the gateway expects.
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const preflight = cors?.preflight(request.method, headers);
    if (preflight) return toResponse(preflight, request.signal);
    const result = await gateway.handle({
      method: request.method,
      path: pathBelow(prefix, url.pathname + url.search),
      headers,
      body: request.body ? readStream(request.body) : undefined,
      signal: request.signal,
      remoteAddress: remoteAddressOf?.(request, ...platform),
    });
    return toResponse(withCorsHeaders(cors, headers, result), request.signal);
  };
}

function toResponse(result: GatewayHttpResponse, signal: AbortSignal): Response {
  const body = result.body;
  const init = { status: result.status, headers: result.headers };
  if (body === null || typeof body === "string") return new Response(body, init);
  if (body instanceof Uint8Array) return new Response(body as Uint8Array<ArrayBuffer>, init);
  return new Response(toReadableStream(body, signal), init);
}

/**
 * The request body as an async iterable. Returning early (a 413) releases the reader without cancelling
 * the stream: the host may still need the connection to send the answer.
 */
async function* readStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * A pull-based stream over the gateway's body: nothing is read ahead (high-water mark 0), one chunk per
 * pull. The iterator is ended (`return()`) when the consumer cancels, and also when the request's signal
 * aborts, for hosts that abort the request without cancelling the response stream: the gateway then
 * settles the request (and releases the upstream) instead of waiting for a pull that never comes.
 */
function toReadableStream(body: AsyncIterable<Uint8Array>, signal: AbortSignal): ReadableStream<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]();
  let ended = false;
  const end = async () => {
    if (ended) return;
    ended = true;
    signal.removeEventListener("abort", onAbort);
    await iterator.return?.();
  };
  const onAbort = () => {
    void end().catch(() => {});
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: IteratorResult<Uint8Array>;
        try {
          next = await iterator.next();
        } catch (error) {
          ended = true;
          signal.removeEventListener("abort", onAbort);
          try {
            controller.error(error);
          } catch {}
          return;
        }
        // After a cancel the controller is closed already; there is nothing left to hand over.
        try {
          if (next.done) {
            ended = true;
            signal.removeEventListener("abort", onAbort);
            controller.close();
          } else controller.enqueue(next.value);
        } catch {}
      },
      cancel: end,
    },
    { highWaterMark: 0 },
  );
}
