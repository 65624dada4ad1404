/**
 * Fastify 5 adapter: `app.register(fastifySwitchyard, { gateway, prefix: "/llm" })`.
 *
 * @packageDocumentation
 */
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type Gateway,
  type GatewayHttpRequest,
  type GatewayHttpResponse,
  parseOptions,
} from "@switchyard/core";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { z } from "zod";
import { type CorsOptions, createCors, withCorsHeaders } from "./cors.js";
import { frameworkErrorResponse } from "./framework-errors.js";
import { GATEWAY_PATHS } from "./gateway-paths.js";
import { pathBelow } from "./mount-path.js";
import { rawBody, writeResponse } from "./node-exchange.js";
import type { HeaderRecord } from "./request-id.js";

/** Options of the `fastifySwitchyard` plugin, next to Fastify's own `prefix`. */
export interface FastifySwitchyardOptions {
  /** The gateway to serve. */
  gateway: Gateway;
  /** Cross-origin access for browsers. @default undefined (CORS off) */
  cors?: CorsOptions;
  /**
   * Start the gateway when Fastify is ready, and drain it when Fastify closes (a `preClose` hook: in-flight
   * streams get up to `graceMs` to finish, then are aborted). @default true
   */
  manageLifecycle?: boolean;
  /** How long `fastify.close()` lets in-flight requests and streams finish. @default 10000 */
  graceMs?: number;
}

const PLUGIN_NAME = "@switchyard/http/fastify";
const SETTLE_AFTER_GRACE_MS = 1_000;

const optionsSchema = z.object({
  gateway: z.custom<Gateway>(
    (value) => typeof (value as Partial<Gateway> | undefined)?.handle === "function",
    "expected a Gateway (createGateway(...))",
  ),
  manageLifecycle: z.boolean().default(true),
  graceMs: z.number().int().nonnegative().default(10_000),
});

// What the catch-all content-type parser hands the route: the body stream, not yet read, so the gateway
// reads it with its own size limit (and may stop early with 413).
class UnreadBody {
  constructor(readonly stream: Readable) {}
}

const plugin: FastifyPluginAsync<FastifySwitchyardOptions> = async (instance, options) => {
  const { gateway, manageLifecycle, graceMs } = parseOptions(
    optionsSchema,
    { gateway: options.gateway, manageLifecycle: options.manageLifecycle, graceMs: options.graceMs },
    "fastifySwitchyard",
  );
  const cors = options.cors ? createCors(options.cors) : undefined;
  const prefix = instance.prefix;
  const streams = { active: 0 };

  // Encapsulated: these replace the parsers of this plugin's routes only, never the app's.
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser("*", (_request, payload, done) => done(null, new UnreadBody(payload)));

  // Errors raised on the way to the gateway (the app's hooks, Fastify itself) get the OpenAI shape too.
  instance.setErrorHandler(async (error, request, reply) => {
    const headers = request.headers as HeaderRecord;
    const answer = withCorsHeaders(cors, headers, frameworkErrorResponse(error, headers));
    if (answer.status >= 500) request.log.error({ err: error }, "switchyard: request failed");
    else request.log.info({ err: error }, "switchyard: client error");
    return send(request, reply, answer, streams);
  });

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const headers = request.headers as HeaderRecord;
    const preflight = cors?.preflight(request.method, headers);
    if (preflight) return send(request, reply, preflight, streams);
    const controller = new AbortController();
    const response = reply.raw;
    // 'close' on the response before it finished means the client went away.
    response.once("close", () => {
      if (!response.writableFinished) controller.abort();
    });
    const result = await gateway.handle({
      method: request.method,
      path: pathBelow(prefix, request.raw.url ?? "/"),
      headers,
      body: bodyOf(request),
      signal: controller.signal,
      // The socket peer, not Fastify's `request.ip` (which follows its own `trustProxy` setting): the
      // gateway's policies decide what to trust of X-Forwarded-For.
      remoteAddress: request.raw.socket?.remoteAddress,
    });
    return send(request, reply, withCorsHeaders(cors, headers, result), streams);
  };

  for (const path of GATEWAY_PATHS) instance.all(path, handler);
  // Other paths below the prefix reach the gateway too (404 in its shape). At the root the app keeps its
  // own not-found handler.
  if (prefix !== "") instance.setNotFoundHandler(handler);

  if (manageLifecycle) {
    instance.addHook("onReady", async () => gateway.start());
    instance.addHook("preClose", async () => {
      await gateway.close({ graceMs });
      // Streams cut at the end of the grace period still send their closing error event: let them, so
      // their connections are idle (and closed) when Fastify closes the server next.
      const deadline = Date.now() + SETTLE_AFTER_GRACE_MS;
      while (streams.active > 0 && Date.now() < deadline) await sleep(10);
    });
  }
};

/**
 * The Switchyard gateway as a Fastify 5 plugin. Encapsulated (its body parser, error handler and
 * not-found handler apply to its own routes only) and named with `fastify-plugin` metadata, so
 * `dependencies: ["@switchyard/http/fastify"]` works in other plugins. Register it under any prefix:
 * `app.register(fastifySwitchyard, { gateway, prefix: "/llm" })`.
 *
 * Requests go through the app's hooks (say, an `onRequest` authentication hook), are logged by Fastify's
 * logger, and any error before the gateway is answered in the gateway's OpenAI error shape. Streams are
 * written straight to the socket with backpressure (`reply.hijack()`), never buffered by `onSend` hooks.
 */
export const fastifySwitchyard: FastifyPluginAsync<FastifySwitchyardOptions> = fp(plugin, {
  name: PLUGIN_NAME,
  fastify: "5.x",
  encapsulate: true,
});

export default fastifySwitchyard;

function bodyOf(request: FastifyRequest): GatewayHttpRequest["body"] {
  if (request.body instanceof UnreadBody) return request.body.stream.iterator({ destroyOnReturn: false });
  // No body, or one Fastify did not offer to a parser: hand over whatever is left of the raw stream.
  return request.raw.readableEnded ? undefined : rawBody(request.raw);
}

async function send(
  request: FastifyRequest,
  reply: FastifyReply,
  result: GatewayHttpResponse,
  streams: { active: number },
): Promise<unknown> {
  const body = result.body;
  if (body !== null && typeof body === "object" && !(body instanceof Uint8Array)) {
    // Headers the app's hooks set on the reply go out with the stream's own.
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) reply.raw.setHeader(name, value);
    }
    reply.hijack();
    streams.active++;
    try {
      await writeResponse(request.raw, reply.raw, result);
    } finally {
      streams.active--;
    }
    return reply;
  }
  reply.code(result.status);
  reply.headers(request.raw.complete ? result.headers : { ...result.headers, connection: "close" });
  if (body === null) return reply.send();
  return reply.send(
    typeof body === "string" ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
  );
}
