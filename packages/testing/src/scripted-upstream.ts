import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request the scripted upstream received. */
export interface WireRequest {
  readonly method: string;
  /** Path and query, e.g. `/v1/messages?beta=true`. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  readonly body: unknown;
}

/** A complete (non-streamed) answer. */
export interface WireResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A streamed answer: raw SSE events (each with its trailing blank line), written one by one. */
export interface WireStream {
  readonly headers?: Readonly<Record<string, string>>;
  readonly events: readonly string[];
  /** Pause between events, in ms. @default 0 */
  readonly delayMs?: number;
  /** Destroy the socket after this many events (a cut stream). */
  readonly cutAfter?: number;
}

/** What the upstream answers a request with. */
export type WireAnswer = { readonly json: WireResponse } | { readonly stream: WireStream };

/** A tiny HTTP server whose answers a test scripts per request. Speaks whatever wire format it is told. */
export interface ScriptedUpstream {
  readonly url: string;
  readonly requests: WireRequest[];
  /** Resolves when a streamed answer's socket closed before its last event (the client aborted). */
  readonly aborts: number;
  /** Sets how the following requests are answered. */
  answer(answer: (request: WireRequest) => WireAnswer | Promise<WireAnswer>): void;
  /** Resolves at the next stream the client abandoned. */
  nextAbort(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a scripted upstream on 127.0.0.1 (port 0). */
export async function createScriptedUpstream(): Promise<ScriptedUpstream> {
  let script: (request: WireRequest) => WireAnswer | Promise<WireAnswer> = () => ({
    json: { status: 500, body: '{"error":"no answer scripted"}' },
  });
  const requests: WireRequest[] = [];
  let aborts = 0;
  let abortWaiters: Array<() => void> = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {}
    const recorded: WireRequest = {
      method: request.method ?? "",
      url: request.url ?? "",
      headers: request.headers,
      body,
    };
    requests.push(recorded);
    let answer: WireAnswer;
    try {
      answer = await script(recorded);
    } catch (error) {
      response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: `scripted answer threw: ${String(error)}` }));
      return;
    }
    if ("json" in answer) {
      response.writeHead(answer.json.status, { "content-type": "application/json", ...answer.json.headers });
      response.end(answer.json.body);
      return;
    }
    await writeStream(response, answer.stream, () => {
      aborts++;
      for (const resolve of abortWaiters.splice(0)) resolve();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get aborts() {
      return aborts;
    },
    answer(next) {
      script = next;
    },
    nextAbort() {
      return new Promise((resolve) => abortWaiters.push(resolve));
    },
    async close() {
      abortWaiters = [];
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function writeStream(response: ServerResponse, stream: WireStream, onAbort: () => void): Promise<void> {
  response.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    ...stream.headers,
  });
  response.flushHeaders();
  let closed = false;
  let cutting = false;
  response.once("close", () => {
    if (!response.writableFinished && !cutting) {
      closed = true;
      onAbort();
    }
  });
  for (const [index, event] of stream.events.entries()) {
    if (closed) return;
    if (stream.cutAfter !== undefined && index >= stream.cutAfter) {
      cutting = true;
      response.socket?.destroy();
      return;
    }
    if (stream.cutAfter !== undefined) {
      // Wait until the bytes are handed to the socket, so a cut comes after them, not instead of them.
      await new Promise<void>((resolve) => response.write(event, () => resolve()));
    } else if (!response.write(event)) await once(response, "drain").catch(() => {});
    if (stream.delayMs) await new Promise((resolve) => setTimeout(resolve, stream.delayMs));
  }
  if (!closed) response.end();
}
