import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { EventEmitter } from "eventemitter3";
import type {
  CanonicalRequest,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  CompletionRequest,
  Usage,
} from "./canonical-schemas.js";
import type { CanonicalResponse } from "./canonical-types.js";
import {
  chatToCompletionChunk,
  chatToCompletionResponse,
  completionToChatRequest,
} from "./completions-bridge.js";
import { GatewayRequestContext, type RequestContext, type RouteTarget } from "./context.js";
import { SwitchyardError, toSwitchyardError } from "./errors.js";
import type { GatewayEvents } from "./gateway-events.js";
import type { GatewayHooks, RetryDecision } from "./gateway-hooks.js";
import type { GatewayHttpRequest, GatewayHttpResponse } from "./http-types.js";
import type { Logger } from "./logger.js";
import { OpenAIStreamPassthrough } from "./openai-stream-passthrough.js";
import type { Endpoint, ModelInfo, Operation, Provider, ProviderCall } from "./provider.js";
import { readJsonBody } from "./read-body.js";
import { operationSchemas, parseRequest } from "./request-validation.js";
import { SseReader } from "./sse-reader.js";
import { encodeSseEvent, SSE_DONE, SSE_HEADERS } from "./sse-writer.js";
import type { Transport, UpstreamResponse } from "./transport.js";
import { mapTransportError } from "./transport.js";

/** What the pipeline needs from its gateway. */
export interface PipelineRuntime {
  readonly hooks: GatewayHooks;
  readonly transport: Transport;
  readonly logger: Logger;
  readonly events: EventEmitter<GatewayEvents>;
  readonly requireAuth: boolean;
  readonly bodyLimitBytes: number;
  modelInfo(provider: Provider, model: string): ModelInfo | undefined;
  listModels(): Array<{ id: string; owned_by: string }>;
  isDraining(): boolean;
  requestStarted(): void;
  requestFinished(): void;
}

const JSON_HEADERS = { "content-type": "application/json" } as const;
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;
const UPSTREAM_REQUEST_ID_HEADERS = ["x-request-id", "request-id"] as const;

const routes: Record<string, Operation | "models" | "health"> = {
  "/v1/chat/completions": "chat",
  "/chat/completions": "chat",
  "/v1/completions": "completions",
  "/completions": "completions",
  "/v1/embeddings": "embeddings",
  "/embeddings": "embeddings",
  "/v1/models": "models",
  "/models": "models",
  "/health": "health",
};

/** Handles one HTTP exchange: route, parse, run the hooks and the attempt loop, shape every error. */
export async function handleHttpRequest(
  runtime: PipelineRuntime,
  request: GatewayHttpRequest,
): Promise<GatewayHttpResponse> {
  const startedAt = performance.now();
  const clientId = request.headers["x-request-id"];
  const requestId = clientId !== undefined && REQUEST_ID_PATTERN.test(clientId) ? clientId : randomUUID();
  const queryAt = request.path.indexOf("?");
  const path = queryAt === -1 ? request.path : request.path.slice(0, queryAt);
  const route = routes[path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path];
  try {
    if (route === undefined) {
      throw new SwitchyardError(
        "SWY_ERR_HTTP_NOT_FOUND",
        `No route for ${request.method} ${path.slice(0, 200)}.`,
      );
    }
    if (route === "health") return health(runtime, request.method, requestId);
    if (route === "models") return models(runtime, request.method, requestId);
    if (request.method !== "POST") {
      throw new SwitchyardError(
        "SWY_ERR_HTTP_METHOD_NOT_ALLOWED",
        `${path} takes POST, not ${request.method}.`,
        {
          headers: { allow: "POST" },
        },
      );
    }
    if (runtime.isDraining()) {
      throw new SwitchyardError("SWY_ERR_GATEWAY_SHUTTING_DOWN", "The gateway is shutting down.", {
        headers: { connection: "close" },
      });
    }
    const body = await readJsonBody(request, runtime.bodyLimitBytes);
    const canonical = parseRequest(operationSchemas[route], body);
    const context = new GatewayRequestContext({
      id: requestId,
      operation: route,
      headers: request.headers,
      signal: request.signal,
      request: canonical,
      startedAt,
    });
    return await runPipeline(runtime, context);
  } catch (error) {
    return errorResponse(toSwitchyardError(error), requestId, undefined);
  }
}

async function runPipeline(
  runtime: PipelineRuntime,
  context: GatewayRequestContext,
): Promise<GatewayHttpResponse> {
  runtime.requestStarted();
  runtime.events.emit("request:start", context);
  const { hooks } = runtime;
  let streaming = false;
  try {
    if (hooks.authenticate.isUsed()) context.principal = await hooks.authenticate.promise(context);
    if (context.principal === undefined && runtime.requireAuth) {
      throw new SwitchyardError(
        "SWY_ERR_AUTH_MISSING",
        "An API key is required (Authorization: Bearer <key>).",
      );
    }
    if (hooks.rateLimit.isUsed()) {
      const rejection = await hooks.rateLimit.promise(context);
      if (rejection) {
        throw new SwitchyardError("SWY_ERR_RATE_LIMITED", rejection.message, {
          retryAfterMs: rejection.retryAfterMs,
          headers: { ...rejection.headers },
        });
      }
    }
    const plan = await hooks.resolveRoute.promise({ targets: [] }, context);
    if (plan.targets.length === 0) {
      throw new SwitchyardError(
        "SWY_ERR_ROUTE_MODEL_NOT_FOUND",
        `The model '${context.model.slice(0, 200)}' does not exist or is not served by this gateway.`,
        { param: "model" },
      );
    }
    context.route = plan;
    const response = await attemptLoop(runtime, context, plan.targets);
    streaming =
      response.body !== null && typeof response.body === "object" && Symbol.asyncIterator in response.body;
    if (!streaming) finishRequest(runtime, context, undefined);
    return response;
  } catch (error) {
    const failure = toSwitchyardError(error);
    finishRequest(runtime, context, failure);
    return errorResponse(failure, context.id, context);
  }
}

async function attemptLoop(
  runtime: PipelineRuntime,
  context: GatewayRequestContext,
  targets: readonly RouteTarget[],
): Promise<GatewayHttpResponse> {
  const failed = new Set<Endpoint>();
  let targetIndex = 0;
  let attemptOnTarget = 0;
  for (;;) {
    const target = targets[targetIndex] as RouteTarget;
    const endpoint = selectEndpoint(runtime, context, target, failed);
    attemptOnTarget++;
    const record = { target, endpoint, startedAt: performance.now() - context.startedAt };
    context.attempts.push(record);
    try {
      return await attempt(runtime, context, target, endpoint, record);
    } catch (error) {
      const failure = toSwitchyardError(error);
      Object.assign(record, {
        error: failure,
        durationMs: performance.now() - context.startedAt - record.startedAt,
      });
      if (context.signal.aborted || failure.code === "SWY_ERR_CLIENT_CLOSED") {
        throw new SwitchyardError("SWY_ERR_CLIENT_CLOSED", "The client closed the request.", {
          cause: failure,
        });
      }
      failed.add(endpoint);
      const hasFallback = targetIndex + 1 < targets.length;
      const decision: RetryDecision = runtime.hooks.shouldRetry.isUsed()
        ? (runtime.hooks.shouldRetry.call(
            {
              error: failure,
              attemptOnTarget,
              attemptsTotal: context.attempts.length,
              target,
              endpoint,
              hasFallback,
            },
            context,
          ) ?? defaultDecision(failure, hasFallback))
        : defaultDecision(failure, hasFallback);
      runtime.events.emit("attempt:failed", context, failure, decision);
      if (decision.action === "retry") {
        if (decision.delayMs > 0)
          await sleep(decision.delayMs, undefined, { signal: context.signal }).catch(() => {});
        if (context.signal.aborted)
          throw new SwitchyardError("SWY_ERR_CLIENT_CLOSED", "The client closed the request.");
        continue;
      }
      if (decision.action === "fallback" && hasFallback) {
        targetIndex++;
        attemptOnTarget = 0;
        continue;
      }
      throw failure;
    }
  }
}

function defaultDecision(error: SwitchyardError, hasFallback: boolean): RetryDecision {
  return error.retryable && hasFallback ? { action: "fallback" } : { action: "fail" };
}

const roundRobin = new WeakMap<Provider, number>();

function selectEndpoint(
  runtime: PipelineRuntime,
  context: RequestContext,
  target: RouteTarget,
  failed: ReadonlySet<Endpoint>,
): Endpoint {
  const endpoints = target.provider.endpoints;
  if (endpoints.length === 0) {
    throw new SwitchyardError(
      "SWY_ERR_ROUTE_NO_ENDPOINT",
      `Provider '${target.provider.name}' has no endpoints.`,
    );
  }
  if (runtime.hooks.selectEndpoint.isUsed()) {
    const chosen = runtime.hooks.selectEndpoint.call({ target, endpoints, failed }, context);
    if (chosen) return chosen;
  }
  if (endpoints.length === 1) return endpoints[0] as Endpoint;
  // Default balancing: round-robin, skipping endpoints that already failed for this request.
  const start = roundRobin.get(target.provider) ?? 0;
  roundRobin.set(target.provider, (start + 1) % endpoints.length);
  for (let offset = 0; offset < endpoints.length; offset++) {
    const candidate = endpoints[(start + offset) % endpoints.length] as Endpoint;
    if (!failed.has(candidate)) return candidate;
  }
  return endpoints[start % endpoints.length] as Endpoint;
}

interface AttemptState {
  durationMs?: number;
  status?: number;
}

async function attempt(
  runtime: PipelineRuntime,
  context: GatewayRequestContext,
  target: RouteTarget,
  endpoint: Endpoint,
  record: AttemptState & { startedAt: number },
): Promise<GatewayHttpResponse> {
  const { hooks } = runtime;
  const provider = target.provider;
  const info = runtime.modelInfo(provider, target.model);
  // Legacy completions go to a chat-only model as chat, and are shaped back on the way out.
  const bridged =
    context.operation === "completions" &&
    (provider.dialect !== "openai" || !(info?.operations ?? ["chat"]).includes("completions"));
  let request: CanonicalRequest = bridged
    ? completionToChatRequest(context.request as CompletionRequest)
    : { ...context.request };
  if (target.params) request = { ...request, ...target.params };
  request.model = target.model;
  if (context.stream && !context.streamUsageRequested) {
    // Ask for usage so it is always known (limits, cost); the client is not shown the extra chunk.
    const streamOptions = (request as ChatCompletionRequest).stream_options;
    (request as ChatCompletionRequest).stream_options = { ...streamOptions, include_usage: true };
  }
  if (hooks.transformRequest.isUsed()) request = await hooks.transformRequest.promise(request, context);
  const call: ProviderCall = {
    operation: bridged ? "chat" : context.operation,
    model: target.model,
    endpoint,
    context,
  };
  const transport = runtime.transport;
  const response = provider.execute
    ? await provider.execute(request, call, {
        send: (upstreamRequest, url) =>
          transport.send(
            endpoint,
            upstreamRequest,
            context.signal,
            context.id,
            url ? upstreamUrl(url) : undefined,
          ),
      })
    : await transport.send(endpoint, provider.buildRequest(request, call), context.signal, context.id);
  record.status = response.status;
  record.durationMs = performance.now() - context.startedAt - record.startedAt;
  if (response.status >= 400) {
    const body = await readErrorBody(response, context.signal);
    throw provider.parseError({ status: response.status, headers: response.headers, body }, call);
  }
  const headers = responseHeaders(context, response);
  if (context.stream) return relayStream(runtime, context, provider, call, response, headers, bridged);
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    throw mapTransportError(error, context.signal);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SwitchyardError(
      "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
      "The provider's answer is not valid JSON.",
    );
  }
  let canonical: CanonicalResponse = provider.parseResponse(parsed, call);
  context.usage = normaliseUsage(canonical.usage);
  const passthrough = provider.dialect === "openai" && !bridged && !hooks.transformResponse.isUsed();
  if (passthrough) return { status: 200, headers, body: text };
  if (bridged) canonical = chatToCompletionResponse(canonical as ChatCompletionResponse);
  if (hooks.transformResponse.isUsed()) canonical = await hooks.transformResponse.promise(canonical, context);
  return { status: 200, headers, body: JSON.stringify(canonical) };
}

function upstreamUrl(url: string): URL {
  const parsed = new URL(url);
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new SwitchyardError(
      "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
      "The provider returned a URL that is not http(s).",
    );
  }
  return parsed;
}

function responseHeaders(context: RequestContext, response: UpstreamResponse): Record<string, string> {
  const headers: Record<string, string> = {
    ...(context.stream ? SSE_HEADERS : JSON_HEADERS),
    ...context.responseHeaders,
    "x-request-id": context.id,
  };
  for (const name of UPSTREAM_REQUEST_ID_HEADERS) {
    const value = response.headers[name];
    if (typeof value === "string") {
      headers["x-upstream-request-id"] = value;
      break;
    }
  }
  return headers;
}

function relayStream(
  runtime: PipelineRuntime,
  context: GatewayRequestContext,
  provider: Provider,
  call: ProviderCall,
  response: UpstreamResponse,
  headers: Record<string, string>,
  bridged: boolean,
): GatewayHttpResponse {
  const passthrough =
    provider.dialect === "openai" && !bridged && !runtime.hooks.transformStreamChunk.isUsed();
  let started = false;
  let finished = false;
  const finish = (error: SwitchyardError | undefined) => {
    if (finished) return;
    finished = true;
    context.signal.removeEventListener("abort", onAbortBeforeStart);
    finishRequest(runtime, context, error);
  };
  // If the client leaves before the adapter starts reading, the generator never runs: clean up here.
  const onAbortBeforeStart = () => {
    if (started) return;
    response.body.destroy();
    finish(new SwitchyardError("SWY_ERR_CLIENT_CLOSED", "The client closed the request."));
  };
  context.signal.addEventListener("abort", onAbortBeforeStart, { once: true });

  async function* passthroughBody(): AsyncGenerator<Uint8Array> {
    const relay = new OpenAIStreamPassthrough(context.streamUsageRequested);
    for await (const chunk of response.body) {
      const out = relay.push(chunk);
      if (out.byteLength > 0) {
        context.timings.firstByteMs ??= performance.now() - context.startedAt;
        context.streamedEvents = relay.events;
        yield out;
      }
      if (relay.malformed) {
        throw new SwitchyardError(
          "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
          "The provider sent a malformed stream event.",
        );
      }
    }
    const rest = relay.flush();
    if (rest.byteLength > 0) yield rest;
    if (relay.usage) context.usage = normaliseUsage(relay.usage);
    if (relay.errorEvent) throw upstreamStreamError(relay.errorEvent);
    if (!relay.done) throw streamCut();
  }

  async function* translatedBody(): AsyncGenerator<Uint8Array> {
    const reader = new SseReader();
    const translator = provider.createStreamTranslator(call);
    const hooks = runtime.hooks;
    const transform = hooks.transformStreamChunk.isUsed();
    const emit = (chunk: ChatCompletionChunk): Uint8Array | undefined => {
      if (chunk.usage) {
        context.usage = normaliseUsage(chunk.usage);
        if (chunk.choices.length === 0 && !context.streamUsageRequested) return undefined;
      }
      const out = transform ? hooks.transformStreamChunk.call(chunk, context) : chunk;
      context.streamedEvents++;
      return encodeSseEvent(JSON.stringify(bridged ? chatToCompletionChunk(out) : out));
    };
    for await (const bytes of response.body) {
      for (const event of reader.push(bytes)) {
        for (const chunk of translator.push(event)) {
          const out = emit(chunk);
          if (out) {
            context.timings.firstByteMs ??= performance.now() - context.startedAt;
            yield out;
          }
        }
      }
    }
    for (const event of reader.end()) {
      for (const chunk of translator.push(event)) {
        const out = emit(chunk);
        if (out) yield out;
      }
    }
    if (!translator.done) throw streamCut();
    yield SSE_DONE;
  }

  async function* body(): AsyncGenerator<Uint8Array> {
    started = true;
    let failure: SwitchyardError | undefined;
    try {
      yield* passthrough ? passthroughBody() : translatedBody();
    } catch (error) {
      failure = context.signal.aborted
        ? new SwitchyardError("SWY_ERR_CLIENT_CLOSED", "The client closed the request.", { cause: error })
        : streamFailure(error);
      // Headers are gone: the error travels as an SSE event, which the OpenAI SDKs raise as an APIError.
      if (!context.signal.aborted) yield encodeSseEvent(JSON.stringify(failure.toBody()));
    } finally {
      if (!response.body.destroyed) response.body.destroy();
      if (failure === undefined && context.signal.aborted) {
        failure = new SwitchyardError("SWY_ERR_CLIENT_CLOSED", "The client closed the request.");
      }
      finish(failure);
    }
  }

  return { status: 200, headers, body: body() };
}

function streamCut(): SwitchyardError {
  return new SwitchyardError(
    "SWY_ERR_UPSTREAM_STREAM_CUT",
    "The provider's stream ended before it was complete.",
  );
}

function streamFailure(error: unknown): SwitchyardError {
  if (SwitchyardError.is(error)) return error;
  const mapped = mapTransportError(error);
  if (mapped.code === "SWY_ERR_UPSTREAM_CONNECT") {
    return new SwitchyardError("SWY_ERR_UPSTREAM_STREAM_CUT", "The provider's stream was interrupted.", {
      cause: error,
    });
  }
  return mapped;
}

function upstreamStreamError(event: unknown): SwitchyardError {
  const message = (event as { error?: { message?: unknown } }).error?.message;
  return new SwitchyardError(
    "SWY_ERR_UPSTREAM_SERVER",
    typeof message === "string" ? message : "The provider reported an error mid-stream.",
  );
}

async function readErrorBody(response: UpstreamResponse, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      const buffer = chunk as Buffer;
      chunks.push(buffer);
      size += buffer.byteLength;
      if (size >= MAX_ERROR_BODY_BYTES) break;
    }
  } catch (error) {
    throw mapTransportError(error, signal);
  } finally {
    if (!response.body.destroyed) response.body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY_BYTES).toString("utf8");
}

function normaliseUsage(usage: Usage | undefined): Usage | undefined {
  if (!usage) return undefined;
  if (usage.completion_tokens !== undefined) return usage;
  return { ...usage, completion_tokens: Math.max(0, usage.total_tokens - usage.prompt_tokens) };
}

function finishRequest(
  runtime: PipelineRuntime,
  context: GatewayRequestContext,
  error: SwitchyardError | undefined,
) {
  context.timings.endMs = performance.now() - context.startedAt;
  const target = context.attempts.at(-1)?.target;
  if (context.usage && target)
    context.cost = priceOf(runtime.modelInfo(target.provider, target.model), context.usage);
  runtime.requestFinished();
  runtime.events.emit("request:end", context, error);
  const { hooks, logger } = runtime;
  if (error) {
    if (error.code === "SWY_ERR_INTERNAL")
      logger.error({ requestId: context.id, err: error.cause }, "request failed");
    if (hooks.requestFailed.isUsed()) {
      hooks.requestFailed.promise(context, error).catch((hookError: unknown) => {
        logger.error({ requestId: context.id, err: hookError }, "requestFailed tap threw");
      });
    }
  } else if (hooks.requestCompleted.isUsed()) {
    hooks.requestCompleted.promise(context).catch((hookError: unknown) => {
      logger.error({ requestId: context.id, err: hookError }, "requestCompleted tap threw");
    });
  }
}

/** USD cost of `usage` at `info`'s price; undefined when the model has no price. */
export function priceOf(info: ModelInfo | undefined, usage: Usage): number | undefined {
  const price = info?.price;
  if (!price) return undefined;
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const input = (usage.prompt_tokens - cached) * price.inputPerMillion;
  const cachedCost = cached * (price.cachedInputPerMillion ?? price.inputPerMillion);
  const output = (usage.completion_tokens ?? 0) * price.outputPerMillion;
  return (input + cachedCost + output) / 1_000_000;
}

/** The HTTP response for an error: the OpenAI body, its status, and any headers it carries. */
export function errorResponse(
  error: SwitchyardError,
  requestId: string,
  context: RequestContext | undefined,
): GatewayHttpResponse {
  const headers: Record<string, string> = {
    ...JSON_HEADERS,
    ...context?.responseHeaders,
    ...error.headers,
    "x-request-id": requestId,
  };
  if (error.retryAfterMs !== undefined && (error.status === 429 || error.status === 503)) {
    headers["retry-after"] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  }
  return { status: error.status, headers, body: JSON.stringify(error.toBody()) };
}

function health(runtime: PipelineRuntime, method: string, requestId: string): GatewayHttpResponse {
  if (method !== "GET" && method !== "HEAD") {
    return errorResponse(
      new SwitchyardError("SWY_ERR_HTTP_METHOD_NOT_ALLOWED", "/health takes GET.", {
        headers: { allow: "GET" },
      }),
      requestId,
      undefined,
    );
  }
  const draining = runtime.isDraining();
  return {
    status: draining ? 503 : 200,
    headers: { ...JSON_HEADERS, "x-request-id": requestId, "cache-control": "no-store" },
    body: JSON.stringify({ status: draining ? "draining" : "ok" }),
  };
}

function models(runtime: PipelineRuntime, method: string, requestId: string): GatewayHttpResponse {
  if (method !== "GET") {
    return errorResponse(
      new SwitchyardError("SWY_ERR_HTTP_METHOD_NOT_ALLOWED", "/v1/models takes GET.", {
        headers: { allow: "GET" },
      }),
      requestId,
      undefined,
    );
  }
  const data = runtime
    .listModels()
    .map((model) => ({ id: model.id, object: "model", created: 0, owned_by: model.owned_by }));
  return {
    status: 200,
    headers: { ...JSON_HEADERS, "x-request-id": requestId },
    body: JSON.stringify({ object: "list", data }),
  };
}
