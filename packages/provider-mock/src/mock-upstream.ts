/**
 * A real HTTP server speaking the OpenAI API, answered by a deterministic fake model. It is the gateway's
 * embedded default provider, the upstream of integration tests and the target of load benchmarks, so every
 * request does only cheap, synchronous work besides its configured delays.
 *
 * @packageDocumentation
 */
import { timingSafeEqual } from "node:crypto";
import { EventEmitter } from "node:events";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { createExchange, type MockExchange } from "./mock-exchange.js";
import { createFaultSource, faultErrorBody, type MockFault, type MockStatusFault } from "./mock-faults.js";
import {
  createErrorBody,
  MockRequestError,
  parseChatCompletionRequest,
  parseCompletionRequest,
  parseEmbeddingRequest,
} from "./mock-openai-wire.js";
import {
  answerChatCompletion,
  answerCompletion,
  answerEmbedding,
  describeModel,
  type MockAnswer,
  type MockGeneration,
} from "./mock-responses.js";
import { writeEventStream } from "./mock-sse.js";
import { type MockUpstreamOptions, resolveMockUpstreamOptions } from "./mock-upstream-options.js";

/** A request as the mock upstream received it. */
export interface RecordedRequest {
  /** Sequence number of the request on this upstream, from 1; also in the `x-request-id` header. */
  readonly id: number;
  /** HTTP method. */
  readonly method: string;
  /** Request target as sent, including any query string. */
  readonly path: string;
  /** Request headers, names in lowercase. */
  readonly headers: IncomingHttpHeaders;
  /** The body parsed as JSON; the raw text when it is not JSON; `undefined` when empty or too large. */
  readonly body: unknown;
}

/** Live counters of an upstream. `received` always equals `inFlight + completed + aborted`. */
export interface MockUpstreamStats {
  /** Requests received. */
  readonly received: number;
  /** Requests whose response has not ended yet. */
  readonly inFlight: number;
  /** Responses that ended from the server's side, including those a `cut-stream` or `reset` fault cut off. */
  readonly completed: number;
  /** Requests whose connection closed before the response ended (client gave up, or `close()` was called). */
  readonly aborted: number;
}

/** Payload of the `"abort"` event. */
export interface MockAbortEvent {
  /** The request's sequence number, as in {@link RecordedRequest.id}. */
  readonly id: number;
  /** HTTP method. */
  readonly method: string;
  /** Request target as sent. */
  readonly path: string;
}

/** Listener signatures of the upstream's events. */
export interface MockUpstreamEvents {
  /** A client closed its connection before the response ended. */
  abort: (event: MockAbortEvent) => void;
  /** A request arrived and its body was read; emitted whether or not requests are recorded. */
  request: (request: RecordedRequest) => void;
}

/** A running mock upstream. */
export interface MockUpstream {
  /** Base URL, e.g. `http://127.0.0.1:43117`; append `/v1/...`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** The last 1000 requests, oldest first; stays empty when `record` is false. */
  readonly requests: RecordedRequest[];
  /** Live counters. */
  readonly stats: Readonly<MockUpstreamStats>;
  /** Stops listening and destroys every connection, idle keep-alive ones included. Safe to call twice. */
  close(): Promise<void>;
  /**
   * Queues a one-shot fault for the next chat, completion or embedding request; queued faults are used in
   * order, before any standing `faults` rate.
   * @throws RangeError when one of the fault's numbers is out of range.
   */
  enqueueFault(fault: MockFault): void;
  /** Adds an event listener. */
  on<Event extends keyof MockUpstreamEvents>(event: Event, listener: MockUpstreamEvents[Event]): MockUpstream;
  /** Removes an event listener. */
  off<Event extends keyof MockUpstreamEvents>(
    event: Event,
    listener: MockUpstreamEvents[Event],
  ): MockUpstream;
}

const MAX_RECORDED_REQUESTS = 1000;
const MAX_BODY_CHARACTERS = 32 * 1024 * 1024;
// Above the 60 s idle timeout of common clients and load balancers, so the client closes idle sockets first
// and never sends a request on a socket the server is closing.
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

type Route =
  | { readonly name: "chat" | "completions" | "embeddings" | "models" }
  | { readonly name: "model"; readonly modelId: string };

function matchRoute(method: string, pathname: string): Route | undefined {
  if (method === "POST") {
    if (pathname === "/v1/chat/completions") return { name: "chat" };
    if (pathname === "/v1/completions") return { name: "completions" };
    if (pathname === "/v1/embeddings") return { name: "embeddings" };
    return undefined;
  }
  if (method !== "GET") return undefined;
  if (pathname === "/v1/models") return { name: "models" };
  if (pathname.startsWith("/v1/models/") && pathname.length > "/v1/models/".length) {
    try {
      return { name: "model", modelId: decodeURIComponent(pathname.slice("/v1/models/".length)) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

type BodyResult =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "too-large" }
  | { readonly kind: "aborted" };

function readBody(request: IncomingMessage): Promise<BodyResult> {
  return new Promise((resolve) => {
    let text = "";
    let tooLarge = false;
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      if (tooLarge) return;
      text += chunk;
      if (text.length > MAX_BODY_CHARACTERS) {
        // Keep draining without keeping the text, so the connection stays usable for the 413 answer.
        tooLarge = true;
        text = "";
      }
    });
    request.on("end", () => resolve(tooLarge ? { kind: "too-large" } : { kind: "text", text }));
    // Both fire only when the client went away before the body ended; after "end" they change nothing.
    request.on("error", () => resolve({ kind: "aborted" }));
    request.on("close", () => resolve({ kind: "aborted" }));
  });
}

type ParsedBody = { readonly ok: true; readonly value: unknown } | { readonly ok: false };

function parseJson(text: string | undefined): ParsedBody {
  if (text === undefined || text === "") return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function sendJson(
  exchange: MockExchange,
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  if (!exchange.isOpen) return;
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
    ...headers,
  });
  response.end(payload);
}

function sendStatusFault(exchange: MockExchange, response: ServerResponse, fault: MockStatusFault): void {
  const headers: OutgoingHttpHeaders = {};
  if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
  if (fault.retryAfterMs !== undefined) headers["retry-after-ms"] = String(fault.retryAfterMs);
  if (typeof fault.body !== "string") {
    sendJson(exchange, response, fault.status, fault.body ?? faultErrorBody(fault.status), headers);
    return;
  }
  if (!exchange.isOpen) return;
  response.writeHead(fault.status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(fault.body),
    ...headers,
  });
  response.end(fault.body);
}

function sendAnswerJson(
  exchange: MockExchange,
  response: ServerResponse,
  body: unknown,
  fault: MockFault | undefined,
): void {
  if (fault?.kind !== "cut-stream" && fault?.kind !== "malformed-sse") {
    sendJson(exchange, response, 200, body);
    return;
  }
  if (!exchange.isOpen) return;
  const payload = JSON.stringify(body);
  const half = payload.slice(0, Math.floor(payload.length / 2));
  if (fault.kind === "malformed-sse") {
    response.writeHead(200, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(half),
    });
    response.end(half);
    return;
  }
  // The full length is announced so the client sees a body that ends early, not a short but complete one.
  response.writeHead(200, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
  });
  exchange.cut(half);
}

/**
 * Starts a mock OpenAI upstream: a node:http server answering `POST /v1/chat/completions`,
 * `POST /v1/completions`, `POST /v1/embeddings`, `GET /v1/models` and `GET /v1/models/{id}` in OpenAI's wire
 * format, with a deterministic fake model (see `mock-model.ts`), configurable latency and token rate, and
 * injected faults.
 *
 * @param options - See {@link MockUpstreamOptions}.
 * @returns The running upstream, once it listens.
 * @throws RangeError or TypeError for invalid options; the listen error (e.g. `EADDRINUSE`) otherwise.
 */
export async function createMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const settings = resolveMockUpstreamOptions(options);
  const faults = createFaultSource(settings.faults);
  const emitter = new EventEmitter();
  const requests: RecordedRequest[] = [];
  const stats = { received: 0, inFlight: 0, completed: 0, aborted: 0 };
  const expectedAuthorization =
    settings.apiKey === undefined ? undefined : Buffer.from(`Bearer ${settings.apiKey}`, "utf8");
  // The model list never changes, so it is serialised once rather than per request.
  const modelsBody = { object: "list", data: settings.models.map(describeModel) };
  const stepIntervalMs =
    settings.tokensPerSecond > 0 ? (settings.chunkTokens / settings.tokensPerSecond) * 1000 : 0;
  let requestCount = 0;
  let toolCallCount = 0;

  const isAuthorized = (authorization: string | undefined): boolean => {
    if (expectedAuthorization === undefined) return true;
    const given = Buffer.from(authorization ?? "", "utf8");
    if (given.length !== expectedAuthorization.length) {
      // timingSafeEqual needs equal lengths; comparing the key with itself keeps the work the same.
      timingSafeEqual(expectedAuthorization, expectedAuthorization);
      return false;
    }
    return timingSafeEqual(given, expectedAuthorization);
  };

  const generation = (): MockGeneration => ({
    created: Math.floor(Date.now() / 1000),
    replyTokens: settings.replyTokens,
    chunkTokens: settings.chunkTokens,
    reply: settings.reply,
    nextToolCallId: () => {
      toolCallCount += 1;
      return `call_mock_${toolCallCount}`;
    },
  });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    requestCount += 1;
    const id = requestCount;
    const method = request.method ?? "GET";
    const path = request.url ?? "/";
    stats.received += 1;
    stats.inFlight += 1;
    const exchange = createExchange(response, (outcome) => {
      stats.inFlight -= 1;
      if (outcome === "completed") {
        stats.completed += 1;
        return;
      }
      stats.aborted += 1;
      emitter.emit("abort", { id, method, path } satisfies MockAbortEvent);
    });
    response.setHeader("x-request-id", `req_mock_${id}`);

    const body = await readBody(request);
    // The response's own "close" settles the exchange as aborted; there is nobody left to answer.
    if (body.kind === "aborted" || !exchange.isOpen) return;
    const rawBody = body.kind === "text" ? body.text : undefined;
    const parsed = parseJson(rawBody);
    const recorded: RecordedRequest = Object.freeze({
      id,
      method,
      path,
      headers: request.headers,
      body: parsed.ok ? parsed.value : rawBody || undefined,
    });
    if (settings.record) {
      if (requests.length >= MAX_RECORDED_REQUESTS) requests.shift();
      requests.push(recorded);
    }
    emitter.emit("request", recorded);
    if (!(await exchange.delay(settings.latencyMs))) return;

    const queryStart = path.indexOf("?");
    const pathname = queryStart === -1 ? path : path.slice(0, queryStart);
    const route = matchRoute(method, pathname);
    if (route === undefined) {
      sendJson(exchange, response, 404, createErrorBody(`Invalid URL (${method} ${pathname})`));
      return;
    }
    if (!isAuthorized(request.headers.authorization)) {
      const message =
        "Incorrect API key provided. The mock upstream expects `Authorization: Bearer <apiKey>`.";
      sendJson(
        exchange,
        response,
        401,
        createErrorBody(message, "invalid_request_error", null, "invalid_api_key"),
      );
      return;
    }
    if (route.name === "models") {
      sendJson(exchange, response, 200, modelsBody);
      return;
    }
    if (route.name === "model") {
      if (settings.models.includes(route.modelId)) {
        sendJson(exchange, response, 200, describeModel(route.modelId));
      } else {
        const message = `The model '${route.modelId}' does not exist`;
        sendJson(
          exchange,
          response,
          404,
          createErrorBody(message, "invalid_request_error", "model", "model_not_found"),
        );
      }
      return;
    }

    // Faults come before validation: a real upstream fails regardless of what the request said.
    const fault = faults.next();
    switch (fault?.kind) {
      case "status":
        sendStatusFault(exchange, response, fault);
        return;
      case "reset":
        exchange.reset();
        return;
      case "hang":
        // Nothing is scheduled, so nothing needs cleaning up when the client finally gives up.
        return;
      case "slow-first-byte":
        if (!(await exchange.delay(fault.delayMs))) return;
        break;
      default:
        break;
    }

    if (body.kind === "too-large") {
      const message = `The request body exceeds ${MAX_BODY_CHARACTERS} characters.`;
      sendJson(
        exchange,
        response,
        413,
        createErrorBody(message, "invalid_request_error", null, "request_too_large"),
      );
      return;
    }
    if (!parsed.ok) {
      const message =
        "We could not parse the JSON body of your request. The mock upstream expects a JSON object body.";
      sendJson(exchange, response, 400, createErrorBody(message));
      return;
    }

    let answer: MockAnswer;
    try {
      if (route.name === "chat") {
        answer = answerChatCompletion(
          `chatcmpl-mock-${id}`,
          parseChatCompletionRequest(parsed.value),
          generation(),
        );
      } else if (route.name === "completions") {
        answer = answerCompletion(`cmpl-mock-${id}`, parseCompletionRequest(parsed.value), generation());
      } else {
        answer = { kind: "json", body: answerEmbedding(parseEmbeddingRequest(parsed.value)) };
      }
    } catch (error) {
      if (!(error instanceof MockRequestError)) throw error;
      sendJson(exchange, response, error.status, error.body);
      return;
    }

    if (answer.kind === "json") {
      sendAnswerJson(exchange, response, answer.body, fault);
      return;
    }
    await writeEventStream(exchange, response, {
      events: answer.events,
      stepIntervalMs,
      firstByteDelayMs: settings.firstByteDelayMs,
      cutAfterChunks: fault?.kind === "cut-stream" ? fault.afterChunks : undefined,
      malformed: fault?.kind === "malformed-sse",
    });
  };

  const server = createServer({ noDelay: true }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A throwing `reply` option or event listener must not take the server down with it.
      if (response.destroyed) return;
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const message = `The mock upstream failed: ${error instanceof Error ? error.message : String(error)}`;
      const payload = JSON.stringify(createErrorBody(message, "server_error", null, "server_error"));
      response.writeHead(500, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(payload),
      });
      response.end(payload);
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Kept above keepAliveTimeout so the headers timer of a reused socket never fires before the idle timer.
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: settings.port, host: settings.host, exclusive: true }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = settings.host.includes(":") ? `[${settings.host}]` : settings.host;

  let closing: Promise<void> | undefined;
  const upstream: MockUpstream = {
    url: `http://${urlHost}:${port}`,
    port,
    requests,
    stats,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // server.close() alone waits for idle keep-alive sockets and hanging requests; this ends them now.
        server.closeAllConnections();
      });
      return closing;
    },
    enqueueFault(fault) {
      faults.enqueue(fault);
    },
    on(event, listener) {
      emitter.on(event, listener);
      return upstream;
    },
    off(event, listener) {
      emitter.off(event, listener);
      return upstream;
    },
  };
  return upstream;
}
