import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { EventEmitter } from "eventemitter3";
import type { Usage } from "./canonical-schemas.js";
import {
  GatewayRequestContext,
  type HedgePolicy,
  type RequestContext,
  type RoutePlan,
  type RouteTarget,
} from "./context.js";
import type { EndpointStatsRegistry } from "./endpoint-stats.js";
import { SwitchyardError, toSwitchyardError } from "./errors.js";
import type { GatewayEvents } from "./gateway-events.js";
import type { GatewayHooks, RetryDecision } from "./gateway-hooks.js";
import type { GatewayHttpRequest, GatewayHttpResponse } from "./http-types.js";
import type { DialectRouteHandler, InboundDialect } from "./inbound-dialect.js";
import type { Logger } from "./logger.js";
import type { Endpoint, ModelInfo, Operation, Provider } from "./provider.js";
import { readJsonBody } from "./read-body.js";
import { operationSchemas, parseRequest } from "./request-validation.js";
import { tapped } from "./tapped.js";
import type { Transport } from "./transport.js";
import { type AttemptResult, type RunningAttempt, startAttempt } from "./upstream-attempt.js";

/** What the pipeline needs from its gateway. */
export interface PipelineRuntime {
  readonly hooks: GatewayHooks;
  readonly transport: Transport;
  readonly endpointStats: EndpointStatsRegistry;
  readonly logger: Logger;
  readonly events: EventEmitter<GatewayEvents>;
  readonly requireAuth: boolean;
  /** Inbound dialects by name, and their POST paths. */
  readonly dialects: ReadonlyMap<string, InboundDialect>;
  readonly dialectRoutes: ReadonlyMap<
    string,
    | { readonly dialect: InboundDialect; readonly operation: Operation }
    | { readonly dialect: InboundDialect; readonly handler: DialectRouteHandler }
  >;
  readonly bodyLimitBytes: number;
  modelInfo(provider: Provider, model: string): ModelInfo | undefined;
  listModels(): Array<{ id: string; owned_by: string }>;
  isDraining(): boolean;
  /** Takes an admission slot: returns at once when one is free, waits in the queue, or throws 503. */
  requestStarted(signal: AbortSignal): Promise<void> | undefined;
  requestFinished(): void;
  /** Requests admitted and not yet finished. */
  inFlight(): number;
}

const JSON_HEADERS = { "content-type": "application/json" } as const;
const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;

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
  const normalised = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  const route = routes[normalised];
  const dialectRoute = route === undefined ? runtime.dialectRoutes.get(normalised) : undefined;
  const dialect = dialectRoute?.dialect;
  try {
    if (dialectRoute) {
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
      if ("handler" in dialectRoute) {
        await authenticateOnly(runtime, request, body, dialectRoute.dialect.name, requestId, startedAt);
        return await dialectRoute.handler(request, body, { requestId });
      }
      const context = new GatewayRequestContext({
        id: requestId,
        operation: dialectRoute.operation,
        dialect: dialectRoute.dialect.name,
        headers: request.headers,
        signal: request.signal,
        request: dialectRoute.dialect.toCanonical(body),
        clientBody: body,
        remoteAddress: request.remoteAddress,
        startedAt,
      });
      return await runPipeline(runtime, context);
    }
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
      dialect: "openai",
      headers: request.headers,
      signal: request.signal,
      request: canonical,
      clientBody: body,
      remoteAddress: request.remoteAddress,
      startedAt,
    });
    return await runPipeline(runtime, context);
  } catch (error) {
    return errorResponse(toSwitchyardError(error), requestId, undefined, dialect);
  }
}

/**
 * Dialect handlers (e.g. count_tokens) call no upstream, but are still the gateway's API: the caller must
 * be who `authenticate` says, and anonymous callers are refused when auth is required.
 */
async function authenticateOnly(
  runtime: PipelineRuntime,
  request: GatewayHttpRequest,
  body: unknown,
  dialect: string,
  requestId: string,
  startedAt: number,
): Promise<void> {
  const model = (body as { model?: unknown } | null)?.model;
  const context = new GatewayRequestContext({
    id: requestId,
    operation: "chat",
    dialect,
    headers: request.headers,
    signal: request.signal,
    request: { model: typeof model === "string" ? model : "", messages: [] } as never,
    clientBody: body,
    remoteAddress: request.remoteAddress,
    startedAt,
  });
  if (tapped(runtime.hooks.authenticate))
    context.principal = await runtime.hooks.authenticate.promise(context);
  if (context.principal === undefined && runtime.requireAuth) {
    throw new SwitchyardError(
      "SWY_ERR_AUTH_MISSING",
      "An API key is required (Authorization: Bearer <key>).",
    );
  }
}

async function runPipeline(
  runtime: PipelineRuntime,
  context: GatewayRequestContext,
): Promise<GatewayHttpResponse> {
  try {
    const waiting = runtime.requestStarted(context.signal);
    if (waiting) await waiting;
  } catch (error) {
    // Shed before any work: no hooks ran, nothing to settle.
    const failure = toSwitchyardError(error);
    notify(runtime, () => runtime.events.emit("request:shed", context, failure));
    return errorResponse(failure, context.id, context, runtime.dialects.get(context.dialect));
  }
  notify(runtime, () => runtime.events.emit("request:start", context));
  const { hooks } = runtime;
  try {
    if (tapped(hooks.authenticate)) context.principal = await hooks.authenticate.promise(context);
    if (context.principal === undefined && runtime.requireAuth) {
      throw new SwitchyardError(
        "SWY_ERR_AUTH_MISSING",
        "An API key is required (Authorization: Bearer <key>).",
      );
    }
    if (tapped(hooks.rateLimit)) {
      const rejection = await hooks.rateLimit.promise(context);
      if (rejection) {
        throw new SwitchyardError("SWY_ERR_RATE_LIMITED", rejection.message, {
          retryAfterMs: rejection.retryAfterMs,
          headers: { ...rejection.headers },
        });
      }
    }
    if (tapped(hooks.respond)) {
      const early = await hooks.respond.promise(context);
      if (early) return finalize(runtime, context, early, true);
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
    return finalize(runtime, context, await attemptLoop(runtime, context, plan), false);
  } catch (error) {
    const failure = toSwitchyardError(error);
    finishRequest(runtime, context, failure);
    return errorResponse(failure, context.id, context, runtime.dialects.get(context.dialect));
  }
}

function isStream(body: GatewayHttpResponse["body"]): body is AsyncIterable<Uint8Array> {
  return body !== null && typeof body === "object" && Symbol.asyncIterator in body;
}

/**
 * Lets `finalizeResponse` taps see (and wrap) the answer, and finishes the request: now for complete
 * answers, at the stream's end for streams. Streams from the attempt loop finish themselves; early answers
 * (`respond`) that stream are wrapped so they finish when read to the end, or when the client leaves.
 */
function finalize(
  runtime: PipelineRuntime,
  context: GatewayRequestContext,
  response: GatewayHttpResponse,
  early: boolean,
): GatewayHttpResponse {
  let out = response;
  if (early)
    out = { ...out, headers: { ...out.headers, ...context.responseHeaders, "x-request-id": context.id } };
  if (tapped(runtime.hooks.finalizeResponse)) out = runtime.hooks.finalizeResponse.call(out, context);
  if (!isStream(out.body)) {
    context.timings.firstByteMs ??= performance.now() - context.startedAt;
    finishRequest(runtime, context, undefined);
  } else if (early) out = { ...out, body: finishingStream(runtime, context, out.body) };
  return out;
}

async function* finishingStream(
  runtime: PipelineRuntime,
  context: GatewayRequestContext,
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  let failure: SwitchyardError | undefined;
  try {
    yield* body;
  } catch (error) {
    failure = toSwitchyardError(error);
    if (!context.signal.aborted) {
      // In the client's own dialect: an Anthropic client gets an `event: error`, not OpenAI's shape.
      const dialect = runtime.dialects.get(context.dialect);
      const text = dialect
        ? dialect.createStreamEncoder(context).error(failure)
        : `data: ${JSON.stringify(failure.toBody())}\n\n`;
      yield new TextEncoder().encode(text);
    }
  } finally {
    if (failure === undefined && context.signal.aborted) {
      failure = new SwitchyardError("SWY_ERR_CLIENT_CLOSED", "The client closed the request.");
    }
    finishRequest(runtime, context, failure);
  }
}

async function attemptLoop(
  runtime: PipelineRuntime,
  context: GatewayRequestContext,
  plan: RoutePlan,
): Promise<GatewayHttpResponse> {
  const targets = plan.targets;
  const failed = new Set<Endpoint>();
  let targetIndex = 0;
  let attemptOnTarget = 0;
  let hedgeAvailable = plan.hedge !== undefined;
  for (;;) {
    const target = targets[targetIndex] as RouteTarget;
    let endpoint: Endpoint;
    try {
      endpoint = selectEndpoint(runtime, context, target, failed);
    } catch (error) {
      // No endpoint can take it (all circuits open): the next target may.
      const failure = toSwitchyardError(error);
      if (targetIndex + 1 < targets.length && (plan.shouldFallback ?? defaultShouldFallback)(failure)) {
        targetIndex++;
        attemptOnTarget = 0;
        continue;
      }
      throw failure;
    }
    const primary = startAttempt(runtime, context, target, endpoint);
    attemptOnTarget++;
    let settled: Settled;
    if (hedgeAvailable && plan.hedge) {
      hedgeAvailable = false;
      settled = await hedged(runtime, context, plan.hedge, primary, () => {
        const hedgeTarget = hedgeTargetFor(targets, targetIndex, primary);
        const blocked = new Set([...failed, primary.endpoint]);
        return startAttempt(
          runtime,
          context,
          hedgeTarget,
          selectEndpoint(runtime, context, hedgeTarget, blocked),
        );
      });
    } else settled = await settle(primary);
    if (settled.ok) return commit(runtime, context, settled.result);
    const { failure, attempt } = settled;
    if (context.signal.aborted || failure.code === "SWY_ERR_CLIENT_CLOSED") {
      throw new SwitchyardError("SWY_ERR_CLIENT_CLOSED", "The client closed the request.", {
        cause: failure,
      });
    }
    failed.add(attempt.endpoint);
    const hasFallback =
      targetIndex + 1 < targets.length && (plan.shouldFallback ?? defaultShouldFallback)(failure);
    const decision: RetryDecision = tapped(runtime.hooks.shouldRetry)
      ? (runtime.hooks.shouldRetry.call(
          {
            error: failure,
            attemptOnTarget,
            attemptsTotal: context.attempts.length,
            target,
            endpoint: attempt.endpoint,
            hasFallback,
          },
          context,
        ) ?? defaultDecision(failure, hasFallback))
      : defaultDecision(failure, hasFallback);
    notify(runtime, () => runtime.events.emit("attempt:failed", context, failure, decision, attempt.record));
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

type Settled =
  | { readonly ok: true; readonly result: AttemptResult; readonly attempt: RunningAttempt }
  | { readonly ok: false; readonly failure: SwitchyardError; readonly attempt: RunningAttempt };

function settle(attempt: RunningAttempt): Promise<Settled> {
  return attempt.result.then(
    (result) => ({ ok: true as const, result, attempt }),
    (error: unknown) => ({ ok: false as const, failure: toSwitchyardError(error), attempt }),
  );
}

/**
 * Races the primary attempt against a hedge started after the policy's delay: the first success wins and
 * the other is cancelled; when one fails, the other is awaited; when both fail, the later failure counts.
 */
async function hedged(
  runtime: PipelineRuntime,
  context: RequestContext,
  policy: HedgePolicy,
  primary: RunningAttempt,
  startHedge: () => RunningAttempt,
): Promise<Settled> {
  const learned = policy.percentile
    ? runtime.endpointStats.get(primary.endpoint).percentile(policy.percentile)
    : undefined;
  const delayMs = learned ?? policy.delayMs;
  let timer: NodeJS.Timeout | undefined;
  const first = await Promise.race([
    settle(primary),
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), delayMs);
    }),
  ]);
  clearTimeout(timer);
  if (first !== undefined || context.signal.aborted) return first ?? settle(primary);
  let secondary: RunningAttempt;
  try {
    secondary = startHedge();
  } catch {
    // Nowhere to hedge to (no other endpoint available): keep waiting for the first.
    return settle(primary);
  }
  notify(runtime, () => runtime.events.emit("attempt:hedged", context, secondary.record));
  const pending = [settle(primary), settle(secondary)];
  const winner = await Promise.race(pending);
  const other = winner.attempt === primary ? secondary : primary;
  if (winner.ok) {
    other.cancel();
    return winner;
  }
  const second = await (winner.attempt === primary ? pending[1] : pending[0]);
  return second as Settled;
}

function hedgeTargetFor(
  targets: readonly RouteTarget[],
  index: number,
  primary: RunningAttempt,
): RouteTarget {
  const current = targets[index] as RouteTarget;
  // Another endpoint of the same target when there is one; else the next target.
  if (current.provider.endpoints.length > 1) return current;
  return targets[index + 1] ?? current ?? primary.record.target;
}

function commit(
  runtime: PipelineRuntime,
  context: GatewayRequestContext,
  result: AttemptResult,
): GatewayHttpResponse {
  if (result.kind === "complete") return result.response;
  return result.stream.commit((error) => finishRequest(runtime, context, error));
}

function defaultDecision(_error: SwitchyardError, hasFallback: boolean): RetryDecision {
  return hasFallback ? { action: "fallback" } : { action: "fail" };
}

/** Retryable failures move on to the next target; so does a block by the provider's content filter. */
export function defaultShouldFallback(error: SwitchyardError): boolean {
  return error.retryable || (error.code as string) === "SWY_ERR_UPSTREAM_CONTENT_FILTERED";
}

const roundRobin = new WeakMap<Provider, number>();

function selectEndpoint(
  runtime: PipelineRuntime,
  context: RequestContext,
  target: RouteTarget,
  failed: ReadonlySet<Endpoint>,
): Endpoint {
  const all = target.provider.endpoints;
  if (all.length === 0) {
    throw new SwitchyardError(
      "SWY_ERR_ROUTE_NO_ENDPOINT",
      `Provider '${target.provider.name}' has no endpoints.`,
    );
  }
  const stats = runtime.endpointStats;
  // Health-aware for every strategy: endpoints whose breaker is open are not offered.
  const endpoints =
    all.length === 1
      ? stats.available(all[0] as Endpoint)
        ? all
        : []
      : all.filter((endpoint) => stats.available(endpoint));
  if (endpoints.length === 0) {
    throw new SwitchyardError(
      "SWY_ERR_ROUTE_NO_ENDPOINT",
      `Every endpoint of provider '${target.provider.name}' is unavailable (circuit open).`,
    );
  }
  let chosen: Endpoint | undefined;
  if (tapped(runtime.hooks.selectEndpoint)) {
    chosen = runtime.hooks.selectEndpoint.call({ target, endpoints, failed }, context);
  }
  chosen ??= roundRobinPick(target.provider, endpoints, failed);
  stats.admit(chosen);
  return chosen;
}

// Default balancing: round-robin, skipping endpoints that already failed for this request.
function roundRobinPick(
  provider: Provider,
  endpoints: readonly Endpoint[],
  failed: ReadonlySet<Endpoint>,
): Endpoint {
  if (endpoints.length === 1) return endpoints[0] as Endpoint;
  const start = roundRobin.get(provider) ?? 0;
  roundRobin.set(provider, (start + 1) % endpoints.length);
  for (let offset = 0; offset < endpoints.length; offset++) {
    const candidate = endpoints[(start + offset) % endpoints.length] as Endpoint;
    if (!failed.has(candidate)) return candidate;
  }
  return endpoints[start % endpoints.length] as Endpoint;
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
  notify(runtime, () => runtime.events.emit("request:end", context, error));
  const { hooks, logger } = runtime;
  if (error) {
    if (error.code === "SWY_ERR_INTERNAL")
      logger.error({ requestId: context.id, err: error.cause }, "request failed");
    if (tapped(hooks.requestFailed)) {
      hooks.requestFailed.promise(context, error).catch((hookError: unknown) => {
        logger.error({ requestId: context.id, err: hookError }, "requestFailed tap threw");
      });
    }
  } else if (tapped(hooks.requestCompleted)) {
    hooks.requestCompleted.promise(context).catch((hookError: unknown) => {
      logger.error({ requestId: context.id, err: hookError }, "requestCompleted tap threw");
    });
  }
}

/** Runs an event emit; a listener that throws is logged, never allowed to break the request. */
export function notify(runtime: Pick<PipelineRuntime, "logger">, emit: () => void): void {
  try {
    emit();
  } catch (error) {
    runtime.logger.error({ err: error }, "a gateway.events listener threw");
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
  dialect?: InboundDialect,
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
  return {
    status: error.status,
    headers,
    body: JSON.stringify(dialect ? dialect.errorBody(error) : error.toBody()),
  };
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
  const endpoints = [...runtime.endpointStats.entries()].map(([endpoint, stats]) => ({
    id: endpoint.id,
    circuit: stats.breaker?.state ?? "closed",
    inFlight: stats.inFlight,
  }));
  return {
    status: draining ? 503 : 200,
    headers: { ...JSON_HEADERS, "x-request-id": requestId, "cache-control": "no-store" },
    body: JSON.stringify({ status: draining ? "draining" : "ok", inFlight: runtime.inFlight(), endpoints }),
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
