import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { FetchHandler } from "../src/fetch.js";
import { writeResponse } from "../src/node.js";

/** What the bridge passes after the request: the connection's peer, as Deno's `ServeHandlerInfo` does. */
export interface BridgeConnectionInfo {
  readonly remoteAddress: string | undefined;
}

/**
 * A tiny node:http bridge for a fetch handler, so the fetch adapter runs the same conformance suite over
 * real sockets. It does what Bun, Deno and @hono/node-server do: the request body as a web stream,
 * `request.signal` aborting when the client goes away, and the response stream read with backpressure
 * (`writeResponse` waits for 'drain' before it pulls the next chunk) and cancelled when the socket closes.
 */
export function createFetchBridge(
  handler: FetchHandler<[BridgeConnectionInfo]>,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const controller = new AbortController();
    response.once("close", () => {
      if (!response.writableFinished) controller.abort();
    });
    const method = request.method ?? "GET";
    const headers = new Headers();
    for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
      headers.append(request.rawHeaders[index] as string, request.rawHeaders[index + 1] as string);
    }
    const hasBody = method !== "GET" && method !== "HEAD";
    const webRequest = new Request(
      new URL(request.url ?? "/", `http://${request.headers.host ?? "localhost"}`),
      {
        method,
        headers,
        body: hasBody ? (Readable.toWeb(request) as ReadableStream<Uint8Array>) : null,
        duplex: "half",
        signal: controller.signal,
      } as RequestInit,
    );
    // Hands the socket peer over beside the request, as Deno's `info` and Bun's `server` do.
    handler(webRequest, { remoteAddress: request.socket.remoteAddress })
      .then((webResponse) => {
        const responseHeaders: Record<string, string> = {};
        webResponse.headers.forEach((value, name) => {
          responseHeaders[name] = value;
        });
        return writeResponse(request, response, {
          status: webResponse.status,
          headers: responseHeaders,
          body: (webResponse.body as AsyncIterable<Uint8Array> | null) ?? null,
        });
      })
      .catch((error: unknown) => response.destroy(error as Error));
  };
}
