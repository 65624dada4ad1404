import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Gateway, GatewayHttpResponse } from "@switchyard/core";

/**
 * A node:http request listener serving the gateway: `http.createServer(createNodeHandler(gateway))`.
 * `pathPrefix` is stripped first, so the gateway can live under `/llm`.
 */
export function createNodeHandler(
  gateway: Gateway,
  options: { pathPrefix?: string } = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const prefix = options.pathPrefix?.replace(/\/+$/, "") ?? "";
  return (request, response) => {
    handle(gateway, prefix, request, response).catch((error: unknown) => {
      gateway.logger.error({ err: error }, "node adapter failed");
      if (!response.headersSent) {
        response.writeHead(500, { "content-type": "application/json" });
        response.end(
          '{"error":{"message":"Internal error.","type":"server_error","param":null,"code":"internal_error"}}',
        );
      } else response.destroy();
    });
  };
}

async function handle(gateway: Gateway, prefix: string, request: IncomingMessage, response: ServerResponse) {
  const controller = new AbortController();
  // 'close' on the response before it finished means the client went away.
  response.once("close", () => {
    if (!response.writableFinished) controller.abort();
  });
  const url = request.url ?? "/";
  const path = prefix && url.startsWith(prefix) ? url.slice(prefix.length) || "/" : url;
  const result = await gateway.handle({
    method: request.method ?? "GET",
    path,
    headers: request.headers as Record<string, string | undefined>,
    // Not destroyed when the gateway stops reading early (413): the response must still go out.
    body: request.iterator({ destroyOnReturn: false }),
    signal: controller.signal,
  });
  await writeResponse(request, response, result);
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
    const iterator = body[Symbol.asyncIterator]();
    await iterator.return?.();
  }
}

/** Options of `listen`. */
export interface ListenOptions {
  /** @default "127.0.0.1" */
  host?: string;
  /** 0 picks a free port. @default 8787 */
  port?: number;
  /** Mount path, e.g. `/llm`. @default "" */
  pathPrefix?: string;
  /** How long `close()` lets in-flight requests and streams finish. @default 10000 */
  graceMs?: number;
  /** Time allowed to receive request headers (slow clients). @default 30000 */
  headersTimeoutMs?: number;
  /** Time allowed to receive a whole request body. @default 120000 */
  requestTimeoutMs?: number;
  /** Idle keep-alive socket lifetime. @default 65000 */
  keepAliveTimeoutMs?: number;
}

/** A running node:http gateway server. */
export interface NodeGatewayServer {
  readonly server: Server;
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  /** Graceful shutdown: stop accepting, drain in-flight requests within the grace period, close pools. */
  close(): Promise<void>;
}

/** Starts the gateway and serves it on node:http. */
export async function listen(gateway: Gateway, options: ListenOptions = {}): Promise<NodeGatewayServer> {
  await gateway.start();
  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs ?? 30_000,
      requestTimeout: options.requestTimeoutMs ?? 120_000,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 65_000,
    },
    createNodeHandler(gateway, { pathPrefix: options.pathPrefix }),
  );
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8787, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    server,
    port,
    url: `http://${shownHost}:${port}`,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await gateway.close({ graceMs: options.graceMs ?? 10_000 });
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
