/**
 * Express 5 adapter: `app.use("/llm", createExpressMiddleware(gateway))`.
 *
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Gateway, GatewayHttpRequest } from "@switchyard/core";
import { type CorsOptions, createCors, withCorsHeaders } from "./cors.js";
import { frameworkErrorResponse } from "./framework-errors.js";
import { failExchange, rawBody, serveNodeExchange, writeResponse } from "./node-exchange.js";
import type { HeaderRecord } from "./request-id.js";

/** Options of `createExpressMiddleware`. */
export interface ExpressMiddlewareOptions {
  /** Cross-origin access for browsers. @default undefined (CORS off) */
  cors?: CorsOptions;
}

/** An Express request as far as the adapter looks at it: Node's, plus what a body parser may have left. */
export type ExpressRequest = IncomingMessage & { body?: unknown; _body?: boolean };

/** The request handler. Typed on node:http, so it fits Express's `RequestHandler` without its types. */
export type ExpressGatewayHandler = (
  request: ExpressRequest,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/** The error handler (four parameters: Express calls it for errors raised before the gateway). */
export type ExpressGatewayErrorHandler = (
  error: unknown,
  request: ExpressRequest,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * Express 5 middleware serving the gateway below wherever it is mounted (Express strips the mount path
 * from `request.url`): `app.use("/llm", createExpressMiddleware(gateway))`, also after the app's own
 * middleware (`app.use("/llm", requireUser, createExpressMiddleware(gateway))`).
 *
 * It is a pair that `app.use` and `router.use` take as is: the handler, and an error handler that answers,
 * in the gateway's OpenAI error shape, errors raised on the way to it — a body parser's 413 or 400, the
 * app's authentication refusing with `next(createError(401, ...))` or a thrown `SwitchyardError`.
 *
 * It works whether or not a body parser ran before it: a body `express.json()` already parsed is used as
 * parsed (the parser's own size limit then applies, not the gateway's); otherwise the raw stream is read
 * with the gateway's limit.
 */
export function createExpressMiddleware(
  gateway: Gateway,
  options: ExpressMiddlewareOptions = {},
): [ExpressGatewayHandler, ExpressGatewayErrorHandler] {
  const cors = options.cors ? createCors(options.cors) : undefined;
  const handler: ExpressGatewayHandler = (request, response) => {
    serveNodeExchange(gateway, cors, request, response, request.url ?? "/", bodyOf(request)).catch(
      (error: unknown) => failExchange(gateway.logger, response, error, "express"),
    );
  };
  const errorHandler: ExpressGatewayErrorHandler = (error, request, response, next) => {
    // Nothing sensible can be sent once a response started; Express's default handler closes it.
    if (response.headersSent) {
      next(error);
      return;
    }
    const headers = request.headers as HeaderRecord;
    const answer = withCorsHeaders(cors, headers, frameworkErrorResponse(error, headers));
    if (answer.status >= 500) gateway.logger.error({ err: error }, "express: error before the gateway");
    writeResponse(request, response, answer).catch((failure: unknown) =>
      failExchange(gateway.logger, response, failure, "express"),
    );
  };
  return [handler, errorHandler];
}

// body-parser marks a body it consumed with `_body`; its result is then in `body` (object, string or
// Buffer). A body it skipped (another content type) is still unread.
function bodyOf(request: ExpressRequest): GatewayHttpRequest["body"] {
  const consumed = request._body === true || request.readableEnded;
  if (!consumed) return rawBody(request);
  // An empty body is `{}` to express.json(); the gateway answers it as empty, as it does without a parser.
  if (request.headers["content-length"] === "0") return "";
  const body = request.body;
  if (typeof body === "string" || body instanceof Uint8Array) return body;
  // Only a JSON parser's result stands for the JSON body; anything else (a form) leaves the gateway an
  // empty body, so it answers with the content-type error it would have given.
  return isJson(request.headers["content-type"]) && body !== undefined ? { parsed: body } : undefined;
}

function isJson(contentType: string | undefined): boolean {
  const mediaType = contentType?.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  return mediaType === "application/json" || mediaType.endsWith("+json");
}
