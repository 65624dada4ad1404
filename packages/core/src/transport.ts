import { Agent, type Dispatcher } from "undici";
import { SwitchyardError, toSwitchyardError } from "./errors.js";
import type { Endpoint, UpstreamAnswer, UpstreamRequest } from "./provider.js";

/** Upstream timeouts in ms. Each one fails with its own error code. */
export interface TimeoutOptions {
  /** TCP + TLS connect. @default 10000 */
  connectMs: number;
  /** From request sent to response headers (for non-streamed answers this covers the whole generation). @default 300000 */
  firstByteMs: number;
  /** Longest silence between body chunks (between stream events). @default 120000 */
  idleMs: number;
  /** The whole exchange, body included. @default 600000 */
  totalMs: number;
  /**
   * Streams only: from response headers to the first stream event. A stream that fails before its first
   * event reached the client can still be retried or fall back. @default 300000
   */
  firstTokenMs: number;
}

/** Options of the undici transport. */
export interface TransportOptions {
  /** Most sockets per upstream origin. @default 256 */
  connectionsPerOrigin?: number;
  /** How long an idle keep-alive socket is kept. @default 30000 */
  keepAliveTimeoutMs?: number;
  timeouts?: Partial<TimeoutOptions>;
  /** A dispatcher to use instead of the built-in Agent (tests, proxies). Not closed by the transport. */
  dispatcher?: Dispatcher;
}

/** Defaults of every timeout, in one place. */
export const defaultTimeouts: Readonly<TimeoutOptions> = Object.freeze({
  connectMs: 10_000,
  firstByteMs: 300_000,
  idleMs: 120_000,
  totalMs: 600_000,
  firstTokenMs: 300_000,
});

/** How one request is sent. */
export interface SendOptions {
  /**
   * Aborts this request (the attempt's signal: the client leaving, a hedge lost, the total timeout — which
   * aborts with a `TimeoutError` reason so it maps to its own code).
   */
  readonly signal: AbortSignal;
  /** The client's own signal, to tell a client abort from other aborts. */
  readonly clientSignal: AbortSignal;
  readonly requestId: string;
  /** Headers from plugins (tracing); the endpoint's and the provider's own headers override them. */
  readonly extraHeaders?: Readonly<Record<string, string>>;
  /** An absolute URL the provider's API returned; the endpoint's origin and base path otherwise. */
  readonly url?: URL;
}

/** An upstream response whose body has not been read yet. */
export type UpstreamResponse = UpstreamAnswer;

/**
 * Sends provider requests over undici with one keep-alive pool per upstream origin (undici's Agent keeps a
 * Pool per origin). The caller's signal (client disconnect) aborts the request and its body.
 */
export class Transport {
  readonly timeouts: Readonly<TimeoutOptions>;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;

  constructor(options: TransportOptions = {}) {
    this.timeouts = Object.freeze({ ...defaultTimeouts, ...options.timeouts });
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ??
      new Agent({
        connections: options.connectionsPerOrigin ?? 256,
        keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
        connect: { timeout: this.timeouts.connectMs },
      });
  }

  /**
   * Sends one request. Resolves once response headers arrive; the body is left to the caller, who must
   * consume or destroy it. Failures are SwitchyardErrors with a code per cause.
   */
  async send(endpoint: Endpoint, request: UpstreamRequest, options: SendOptions): Promise<UpstreamResponse> {
    // The total timeout is the caller's: the attempt's signal aborts with a TimeoutError when it fires.
    const headers: Record<string, string> = {
      ...options.extraHeaders,
      ...endpoint.headers,
      ...request.headers,
      "x-request-id": options.requestId,
    };
    if (request.body !== undefined) headers["content-type"] ??= "application/json";
    const url = options.url;
    try {
      const response = await this.dispatcher.request({
        origin: url ? url.origin : endpoint.origin,
        path: url ? url.pathname + url.search : endpoint.basePath + request.path,
        method: request.method,
        headers,
        body: request.body ?? null,
        signal: options.signal,
        headersTimeout: this.timeouts.firstByteMs,
        bodyTimeout: this.timeouts.idleMs,
      });
      return { status: response.statusCode, headers: response.headers, body: response.body };
    } catch (error) {
      throw mapTransportError(error, options.clientSignal);
    }
  }

  /** Closes every pool (waits for in-flight requests to finish). */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  /** Destroys every pool at once, aborting in-flight requests. */
  async destroy(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.destroy();
  }
}

/**
 * Maps an undici or socket error (thrown by a request or while reading its body) to a SwitchyardError.
 * `clientSignal` and `totalSignal` tell an abort by the client from the total timeout.
 */
export function mapTransportError(
  error: unknown,
  clientSignal?: AbortSignal,
  totalSignal?: AbortSignal,
): SwitchyardError {
  if (SwitchyardError.is(error)) return error;
  if (clientSignal?.aborted) {
    return new SwitchyardError("SWY_ERR_CLIENT_CLOSED", "The client closed the request.", { cause: error });
  }
  // AbortSignal.timeout() aborts with a TimeoutError: the total timeout, even where the signal is not at hand.
  if (totalSignal?.aborted || (error as { name?: string } | undefined)?.name === "TimeoutError") {
    return new SwitchyardError("SWY_ERR_UPSTREAM_TIMEOUT_TOTAL", "The upstream request took too long.", {
      cause: error,
    });
  }
  const code = (error as { code?: string } | undefined)?.code;
  const name = (error as { name?: string } | undefined)?.name;
  // Only network and undici errors are the upstream's doing; anything else (a plugin bug) is internal.
  const network = typeof code === "string" && (code.startsWith("UND_ERR_") || /^E[A-Z]+$/.test(code));
  if (!network && name !== "AbortError") return toSwitchyardError(error);
  switch (code) {
    case "UND_ERR_CONNECT_TIMEOUT":
      return new SwitchyardError(
        "SWY_ERR_UPSTREAM_TIMEOUT_CONNECT",
        "Connecting to the provider timed out.",
        {
          cause: error,
        },
      );
    case "UND_ERR_HEADERS_TIMEOUT":
      return new SwitchyardError(
        "SWY_ERR_UPSTREAM_TIMEOUT_FIRST_BYTE",
        "The provider did not answer in time.",
        {
          cause: error,
        },
      );
    case "UND_ERR_BODY_TIMEOUT":
      return new SwitchyardError(
        "SWY_ERR_UPSTREAM_TIMEOUT_IDLE",
        "The provider stopped sending mid-response.",
        {
          cause: error,
        },
      );
    case "UND_ERR_SOCKET":
    case "ECONNRESET":
    case "EPIPE":
      return new SwitchyardError("SWY_ERR_UPSTREAM_CONNECT", "The connection to the provider was lost.", {
        cause: error,
      });
    default:
      return new SwitchyardError("SWY_ERR_UPSTREAM_CONNECT", "The provider could not be reached.", {
        cause: error,
      });
  }
}
