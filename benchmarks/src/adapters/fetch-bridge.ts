import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { FetchHandler } from "@switchyard/http/fetch";
import { writeResponse } from "@switchyard/http/node";

/**
 * Serves a fetch handler on node:http the way fetch-style hosts do (the request body as a web stream, the
 * request's signal aborting on disconnect, the response stream read with backpressure): "fetch on node"
 * in the comparison. The same bridge as the http package's conformance tests.
 */
export function createFetchBridge(
  handler: FetchHandler,
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
    handler(webRequest)
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
