import { randomUUID } from "node:crypto";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type { Server as TlsServer } from "node:tls";
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
  /**
   * Most open connections (TCP sockets, idle keep-alive ones included); the server closes new ones beyond
   * it at once (the server's `drop` event). 0 = no cap. @default 0
   */
  maxConnections?: number;
  /**
   * Serve HTTPS (HTTP/1.1) with this certificate chain and private key (PEM). Replace them later without
   * dropping connections with `updateTls`. @default undefined (plain HTTP)
   */
  tls?: TlsCredentials;
}

/** A TLS certificate chain and its private key, PEM-encoded. */
export interface TlsCredentials {
  /** The certificate, then any intermediates. */
  cert: string | Buffer;
  key: string | Buffer;
}

/** A running node:http gateway server. */
export interface NodeGatewayServer {
  readonly server: Server;
  /** `http://host:port`, or `https://` with `tls`. */
  readonly url: string;
  readonly port: number;
  /**
   * Replaces the TLS certificate and key (`tls.Server.setSecureContext`): connections opened from now on
   * get the new certificate; open ones, and streams on them, go on with the old. Throws when the server
   * serves plain HTTP, or when the PEM cannot be used (the old credentials then stay).
   */
  updateTls(credentials: TlsCredentials): void;
  /** Graceful shutdown: stop accepting, drain in-flight requests within the grace period, close pools. */
  close(): Promise<void>;
}

/** Starts the gateway and serves it on node:http. */
export async function listen(gateway: Gateway, options: ListenOptions = {}): Promise<NodeGatewayServer> {
  await gateway.start();
  const headersTimeout = options.headersTimeoutMs ?? 30_000;
  const requestTimeout = options.requestTimeoutMs ?? 120_000;
  const serverOptions = {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 65_000,
    maxHeaderSize: options.maxHeaderSizeBytes ?? 16_384,
    // Node checks the header and request timeouts on this interval (30 s by default), so a slow client
    // could hold its socket up to twice the timeout: check four times per headers timeout instead.
    connectionsCheckingInterval: checkingInterval(Math.min(headersTimeout, requestTimeout)),
  };
  const handler = createNodeHandler(gateway, { pathPrefix: options.pathPrefix, cors: options.cors });
  const tls = options.tls;
  const server: Server = tls
    ? createHttpsServer({ ...serverOptions, cert: tls.cert, key: tls.key }, handler)
    : createServer(serverOptions, handler);
  if (options.maxConnections !== undefined && options.maxConnections > 0) {
    server.maxConnections = options.maxConnections;
  }
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
    url: `${tls ? "https" : "http"}://${shownHost}:${port}`,
    updateTls(credentials) {
      if (!tls) throw new TypeError("updateTls: this server serves plain HTTP (listen without `tls`).");
      (server as unknown as TlsServer).setSecureContext({ cert: credentials.cert, key: credentials.key });
    },
    close() {
      closing ??= closeGracefully(server, gateway, { graceMs: options.graceMs });
      return closing;
    },
  };
}

/** How often Node checks header and request timeouts: a quarter of the shorter one, within 250 ms-30 s. */
function checkingInterval(timeoutMs: number): number {
  return Math.min(30_000, Math.max(250, Math.floor(timeoutMs / 4)));
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
