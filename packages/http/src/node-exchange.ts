import type { IncomingMessage, ServerResponse } from "node:http";
import type { Gateway, GatewayHttpRequest, GatewayHttpResponse, Logger } from "@switchyard/core";
import { type Cors, withCorsHeaders } from "./cors.js";
import type { HeaderRecord } from "./request-id.js";

/**
 * The node:http exchange every Node-hosted adapter (node, Express, Fastify) shares: CORS preflight,
 * `gateway.handle()` with an AbortSignal that fires when the client goes away, then the response written
 * with backpressure. `body` is what the framework left of the request body; by default the raw stream.
 */
export async function serveNodeExchange(
  gateway: Gateway,
  cors: Cors | undefined,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  body: GatewayHttpRequest["body"] = rawBody(request),
): Promise<void> {
  const headers = request.headers as HeaderRecord;
  const method = request.method ?? "GET";
  const preflight = cors?.preflight(method, headers);
  if (preflight) {
    await writeResponse(request, response, preflight);
    return;
  }
  const controller = new AbortController();
  // 'close' on the response before it finished means the client went away.
  response.once("close", () => {
    if (!response.writableFinished) controller.abort();
  });
  const result = await gateway.handle({
    method,
    path,
    headers,
    body,
    signal: controller.signal,
    // The socket peer (a proxy's address, behind one); X-Forwarded-For is for the policy to weigh.
    remoteAddress: request.socket?.remoteAddress,
  });
  await writeResponse(request, response, withCorsHeaders(cors, headers, result));
}

/**
 * The request body as a lazy stream of bytes. Not destroyed when the gateway stops reading early (413):
 * the response must still go out.
 */
export function rawBody(request: IncomingMessage): AsyncIterable<Uint8Array> {
  return request.iterator({ destroyOnReturn: false });
}

/** Writes a GatewayHttpResponse to a node:http response, honouring backpressure for streams. */
export async function writeResponse(
  request: IncomingMessage,
  response: ServerResponse,
  result: GatewayHttpResponse,
): Promise<void> {
  if (response.destroyed) {
    await discard(result);
    return;
  }
  // A body we did not read to the end would be parsed as the next request: close the connection instead.
  const headers = request.complete ? result.headers : { ...result.headers, connection: "close" };
  const body = result.body;
  if (body === null || typeof body === "string" || body instanceof Uint8Array) {
    response.writeHead(result.status, headers);
    response.end(body ?? undefined);
    return;
  }
  response.writeHead(result.status, headers);
  // Headers now, not with the first chunk: clients see the stream open before the first token.
  response.flushHeaders();
  for await (const chunk of body) {
    if (response.destroyed) break;
    if (!response.write(chunk)) await drainOrClose(response);
  }
  if (!response.destroyed) response.end();
}

function drainOrClose(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off("drain", done);
      response.off("close", done);
      resolve();
    };
    response.on("drain", done);
    response.on("close", done);
  });
}

async function discard(result: GatewayHttpResponse): Promise<void> {
  const body = result.body;
  if (body !== null && typeof body === "object" && Symbol.asyncIterator in body) {
    await body[Symbol.asyncIterator]().return?.();
  }
}

/**
 * The last resort when an adapter itself failed (not the gateway: it never throws): log, then answer 500
 * if nothing was sent yet, or cut the connection.
 */
export function failExchange(
  logger: Logger,
  response: ServerResponse,
  error: unknown,
  adapter: string,
): void {
  logger.error({ err: error }, `${adapter} adapter failed`);
  if (response.headersSent || response.destroyed) {
    response.destroy();
    return;
  }
  response.writeHead(500, { "content-type": "application/json" });
  response.end(
    '{"error":{"message":"The gateway failed to handle the request.","type":"server_error","param":null,"code":"internal_error"}}',
  );
}
