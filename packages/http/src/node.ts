import { randomUUID } from "node:crypto";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { type Gateway, SwitchyardError } from "@switchyard/core";
import { type CorsOptions, createCors } from "./cors.js";
import { normalisePrefix, pathBelow } from "./mount-path.js";
import { failExchange, serveNodeExchange, writeResponse } from "./node-exchange.js";

export { writeResponse };

const SETTLE_AFTER_GRACE_MS = 1_000;

/** Options of `createNodeHandler`. */
export interface NodeHandlerOptions {
  /** Mount path, stripped before routing, e.g. `/llm`. @default "" */
  pathPrefix?: string;
  /** Cross-origin access for browsers. @default undefined (CORS off: no CORS headers, no preflight answers) */
  cors?: CorsOptions;
}

/**
 * A node:http request listener serving the gateway: `http.createServer(createNodeHandler(gateway))`.
 * `pathPrefix` is stripped first, so the gateway can live under `/llm`.
 */
export function createNodeHandler(
  gateway: Gateway,
  options: NodeHandlerOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const prefix = normalisePrefix(options.pathPrefix);
  const cors = options.cors ? createCors(options.cors) : undefined;
  return (request, response) => {
    serveNodeExchange(gateway, cors, request, response, pathBelow(prefix, request.url ?? "/")).catch(
      (error: unknown) => failExchange(gateway.logger, response, error, "node"),
    );
  };
}

/** Options of `listen`. */
export interface ListenOptions extends NodeHandlerOptions {
  /** @default "127.0.0.1" */
  host?: string;
  /** 0 picks a free port. @default 8787 */
  port?: number;
  /** How long `close()` lets in-flight requests and streams finish. @default 10000 */
  graceMs?: number;
  /** Time allowed to receive request headers (slow clients). @default 30000 */
  headersTimeoutMs?: number;
  /** Time allowed to receive a whole request body. @default 120000 */
  requestTimeoutMs?: number;
  /** Idle keep-alive socket lifetime. @default 65000 */
  keepAliveTimeoutMs?: number;
  /** Largest request head (request line and headers) accepted; larger ones get 431. @default 16384 */
  maxHeaderSizeBytes?: number;
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
      maxHeaderSize: options.maxHeaderSizeBytes ?? 16_384,
    },
    createNodeHandler(gateway, { pathPrefix: options.pathPrefix, cors: options.cors }),
  );
  server.on("clientError", handleClientError);
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
      closing ??= closeGracefully(server, gateway, { graceMs: options.graceMs });
      return closing;
    },
  };
}

/**
 * Graceful shutdown of a node:http server that serves the gateway through any Node-hosted adapter (node,
 * Express, fetch behind a bridge): stop accepting connections, close idle keep-alive ones, let the
 * gateway drain in-flight requests and streams for up to `graceMs` (new requests on open connections get
 * 503 meanwhile; streams still running after it are aborted), then close what is left. Resolves once the
 * server has closed.
 */
export async function closeGracefully(
  server: Server,
  gateway: Gateway,
  options: { graceMs?: number | undefined } = {},
): Promise<void> {
  const stopped = new Promise<void>((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
  server.closeIdleConnections();
  await gateway.close({ graceMs: options.graceMs ?? 10_000 });
  // Streams cut at the end of the grace period still end with an error event the SDKs raise: give their
  // writers a moment (bounded) to send it before the sockets go.
  const deadline = Date.now() + SETTLE_AFTER_GRACE_MS;
  while (gateway.inFlight > 0 && Date.now() < deadline) await sleep(10);
  await new Promise<void>((resolve) => setImmediate(resolve));
  server.closeAllConnections();
  await stopped;
}

/**
 * A `clientError` listener that answers malformed requests the way the gateway answers everything else:
 * an OpenAI-shaped JSON body and an `x-request-id`. Node raises these before any request handler runs —
 * request heads over `maxHeaderSize` (431), requests that took too long (408), anything unparsable (400).
 * `listen` installs it; add it yourself to a server you create: `server.on("clientError",
 * handleClientError)`, or `Fastify({ clientErrorHandler: handleClientError })`.
 */
export function handleClientError(error: Error & { code?: string }, socket: Duplex): void {
  // As Node's own handler decides: answer unless a response on this socket already began (on a kept-alive
  // socket the previous response is done and detached, so answering is safe).
  const connection = socket as Socket & { _httpMessage?: { headersSent: boolean } | null };
  const responding = connection._httpMessage?.headersSent === true;
  if (error.code !== "ECONNRESET" && connection.writable && !responding) {
    const status =
      error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const message =
      status === 431
        ? "The request headers are larger than this server accepts."
        : status === 408
          ? "The request took too long to arrive."
          : "The request is not valid HTTP.";
    const body = JSON.stringify(new SwitchyardError("SWY_ERR_REQUEST_INVALID", message, { status }).toBody());
    connection.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${randomUUID()}\r\n\r\n${body}`,
    );
  }
  // The parser is in an unknown state, so the connection cannot be reused.
  connection.destroy();
}
