import {
  type Attributes,
  type Context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from "@opentelemetry/api";
import { z } from "zod";
import type { CircuitState } from "../circuit-breaker.js";
import type { AttemptRecord, RequestContext } from "../context.js";
import type { SwitchyardError } from "../errors.js";
import type { Gateway } from "../gateway.js";
import type { LimitDecision } from "../gateway-events.js";
import type { RetryDecision } from "../gateway-hooks.js";
import { parseOptions } from "../options.js";
import type { Plugin } from "../plugin.js";
import type { Endpoint } from "../provider.js";
import { type GatewayInstruments, MeterHandle, TracerHandle } from "./otel-handles.js";
import { installRequestLog, type RequestLogOptions, requestLogOptionsSchema } from "./request-log-plugin.js";
import { finishReasonsOf, responseModelOf } from "./response-facts.js";
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SWITCHYARD_ATTEMPT,
  ATTR_SWITCHYARD_ATTEMPT_DISCARDED,
  ATTR_SWITCHYARD_ATTEMPTS,
  ATTR_SWITCHYARD_BREAKER_STATE,
  ATTR_SWITCHYARD_COST_USD,
  ATTR_SWITCHYARD_ENDPOINT_ID,
  ATTR_SWITCHYARD_LIMIT_NAME,
  ATTR_SWITCHYARD_LIMIT_OUTCOME,
  ATTR_SWITCHYARD_PRINCIPAL_ID,
  ATTR_SWITCHYARD_REQUEST_ID,
  ATTR_SWITCHYARD_STREAM,
  GEN_AI_OPERATION_NAMES,
} from "./semantic-conventions.js";

const PLUGIN_NAME = "switchyard:telemetry";
const STATE = Symbol("switchyard:telemetry");
/** A well-formed W3C traceparent (version 00), for forwarding it untouched when no SDK is registered. */
const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;
/** Requested models that are not served become this metric label, so clients cannot mint label values. */
const OTHER_MODEL = "_OTHER";
const MAX_SPAN_STRING = 256;
const BREAKER_LEVELS: Readonly<Record<CircuitState, number>> = { closed: 0, "half-open": 1, open: 2 };

/** Options of the telemetry plugin (`createGateway({ telemetry })`). */
export interface TelemetryOptions {
  /** Spans per request and per upstream attempt, when an OpenTelemetry SDK is registered. @default true */
  traces?: boolean;
  /** Metrics, when an OpenTelemetry SDK meter provider is registered. @default true */
  metrics?: boolean;
  /** One structured log line per request through `gateway.logger`, or `false`. @default { level: "info" } */
  requestLog?: boolean | RequestLogOptions;
  /**
   * Label metrics with `switchyard.principal.id` (one series per API key). Turn off when principals are
   * many (per-user ids) to keep metric cardinality low; spans and logs still carry it. @default true
   */
  principalAttribute?: boolean;
  /**
   * With no SDK registered, forward the client's `traceparent`/`tracestate` upstream unchanged, so traces
   * stay connected through a gateway that does not trace. (With an SDK, the attempt span's context is
   * always sent.) @default true
   */
  forwardTraceContext?: boolean;
}

const telemetryOptionsSchema = z
  .object({
    traces: z.boolean().default(true),
    metrics: z.boolean().default(true),
    requestLog: z.union([z.boolean(), requestLogOptionsSchema]).default(true),
    principalAttribute: z.boolean().default(true),
    forwardTraceContext: z.boolean().default(true),
  })
  .strict();

type Settings = z.infer<typeof telemetryOptionsSchema>;

interface AttemptTrace {
  readonly record: AttemptRecord;
  readonly span: Span;
  /** `failed`: its span is ended. `answered`: it ended well; its span ends with the request (usage is known then). */
  outcome: "running" | "failed" | "answered";
  /** `performance.now()` when it ended well. */
  endedAt: number;
}

interface RequestTrace {
  readonly span: Span;
  /** The context attempt spans are children of. */
  readonly context: Context;
  readonly attempts: AttemptTrace[];
}

const headerGetter: TextMapGetter<Readonly<Record<string, string | undefined>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()],
};

const headerSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * Telemetry with `@opentelemetry/api` only: a SERVER span per request and a CLIENT span per upstream
 * attempt named and attributed by the OpenTelemetry GenAI semantic conventions, GenAI and gateway metrics,
 * W3C trace context from the client and to the upstream, and (unless turned off) a log line per request.
 *
 * Without an SDK it costs a few identity checks per request: the API is a no-op and nothing is allocated.
 * An SDK registered after the gateway was created is picked up on the next request. Work happens per
 * request and per attempt, never per stream chunk; it listens to `gateway.events` and taps no hook, so
 * the pass-through fast paths stay on. Installed by `createGateway` unless `telemetry: false`.
 */
export function createTelemetryPlugin(options: TelemetryOptions = {}): Plugin {
  const settings = parseOptions(telemetryOptionsSchema, options, "telemetry");
  return {
    name: PLUGIN_NAME,
    apply(gateway: Gateway) {
      new GatewayTelemetry(gateway, settings).listen();
      if (settings.requestLog !== false) {
        installRequestLog(gateway, settings.requestLog === true ? {} : settings.requestLog);
      }
    },
  };
}

class GatewayTelemetry {
  private readonly tracer = new TracerHandle();
  private readonly meter: MeterHandle;
  private readonly logger: Gateway["logger"];

  constructor(
    private readonly gateway: Gateway,
    private readonly settings: Readonly<Settings>,
  ) {
    this.logger = gateway.logger;
    // Observable instruments read the gateway through a weak reference: a registered SDK must not keep a
    // discarded gateway alive.
    const ref = new WeakRef(gateway);
    this.meter = new MeterHandle({
      inFlight: () => {
        const current = ref.deref();
        return current && current.state !== "closed" ? current.inFlight : undefined;
      },
      breakers: () => breakerStates(ref.deref()),
    });
  }

  listen(): void {
    // Listeners must not throw (the emitter would throw into the pipeline): each catches and logs. No
    // closure per call: these run several times per request.
    const { events } = this.gateway;
    events.on("request:start", (context) => {
      try {
        this.requestStart(context);
      } catch (error) {
        this.failed(error);
      }
    });
    events.on("attempt:start", (context, attempt) => {
      try {
        this.attemptStart(context, attempt);
      } catch (error) {
        this.failed(error);
      }
    });
    events.on("attempt:end", (context, attempt) => {
      try {
        this.attemptEnd(context, attempt);
      } catch (error) {
        this.failed(error);
      }
    });
    events.on("attempt:failed", (context, error, decision) => {
      try {
        this.attemptFailed(context, error, decision);
      } catch (failure) {
        this.failed(failure);
      }
    });
    events.on("attempt:hedged", (context, attempt) => {
      try {
        this.attemptHedged(context, attempt);
      } catch (error) {
        this.failed(error);
      }
    });
    events.on("request:end", (context, error) => {
      try {
        this.requestEnd(context, error);
      } catch (failure) {
        this.failed(failure);
      }
    });
    events.on("limit:decision", (context, decision) => {
      try {
        this.limitDecision(context, decision);
      } catch (error) {
        this.failed(error);
      }
    });
    events.on("breaker:change", (endpoint, from, to) => {
      try {
        this.breakerChange(endpoint, from, to);
      } catch (error) {
        this.failed(error);
      }
    });
  }

  private failed(error: unknown): void {
    this.logger.error({ err: error }, "telemetry failed");
  }

  private instruments(): GatewayInstruments | undefined {
    return this.settings.metrics ? this.meter.current() : undefined;
  }

  private requestStart(context: RequestContext): void {
    const tracer = this.settings.traces ? this.tracer.current() : undefined;
    if (!tracer) {
      if (this.settings.forwardTraceContext) forwardTraceContext(context);
      return;
    }
    const parent = propagation.extract(ROOT_CONTEXT, context.headers, headerGetter);
    const operation = GEN_AI_OPERATION_NAMES[context.operation];
    const attributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: operation,
      [ATTR_GEN_AI_REQUEST_MODEL]: clip(context.model),
      [ATTR_SWITCHYARD_REQUEST_ID]: context.id,
      [ATTR_SWITCHYARD_STREAM]: context.stream,
    };
    addRequestParameters(attributes, context.request as RequestParameters);
    const span = tracer.startSpan(
      `${operation} ${clip(context.model)}`,
      { kind: SpanKind.SERVER, attributes, startTime: epochMs(context.startedAt) },
      parent,
    );
    const state: RequestTrace = { span, context: trace.setSpan(parent, span), attempts: [] };
    context.locals[STATE] = state;
  }

  private attemptStart(context: RequestContext, attempt: AttemptRecord): void {
    const state = context.locals[STATE] as RequestTrace | undefined;
    if (!state) return;
    const tracer = this.tracer.current();
    if (!tracer) return;
    const operation = GEN_AI_OPERATION_NAMES[context.operation];
    const attributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: operation,
      [ATTR_GEN_AI_PROVIDER_NAME]: attempt.target.provider.name,
      [ATTR_GEN_AI_REQUEST_MODEL]: attempt.target.model,
      [ATTR_SWITCHYARD_ENDPOINT_ID]: attempt.endpoint.id,
      [ATTR_SWITCHYARD_ATTEMPT]: context.attempts.length,
    };
    addServerAddress(attributes, attempt.endpoint);
    const span = tracer.startSpan(
      `${operation} ${attempt.target.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes,
        startTime: epochMs(context.startedAt + attempt.startedAt),
      },
      state.context,
    );
    state.attempts.push({ record: attempt, span, outcome: "running", endedAt: 0 });
    // The upstream sees this attempt as its parent. Each attempt overwrites the previous one's headers.
    propagation.inject(trace.setSpan(state.context, span), context.upstreamHeaders, headerSetter);
  }

  private attemptEnd(context: RequestContext, attempt: AttemptRecord): void {
    const now = performance.now();
    const instruments = this.instruments();
    if (instruments) {
      const attributes = attemptAttributes(context, attempt);
      if (attempt.error) attributes[ATTR_ERROR_TYPE] = attempt.error.code;
      instruments.clientOperationDuration.record(
        (now - context.startedAt - attempt.startedAt) / 1000,
        attributes,
      );
    }
    const state = context.locals[STATE] as RequestTrace | undefined;
    const traced = state?.attempts.find((candidate) => candidate.record === attempt);
    if (!traced) return;
    if (attempt.status !== undefined)
      traced.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, attempt.status);
    if (attempt.error) {
      endWithError(traced.span, attempt.error, epochMs(now));
      traced.outcome = "failed";
    } else {
      traced.outcome = "answered";
      traced.endedAt = now;
    }
  }

  private attemptFailed(context: RequestContext, error: SwitchyardError, decision: RetryDecision): void {
    const instruments = this.instruments();
    if (!instruments || decision.action === "fail") return;
    const attempt = failedAttempt(context, error);
    if (!attempt) return;
    const attributes = attemptAttributes(context, attempt);
    attributes[ATTR_ERROR_TYPE] = error.code;
    if (decision.action === "retry") instruments.retries.add(1, attributes);
    else if (hasNextTarget(context, attempt)) instruments.fallbacks.add(1, attributes);
  }

  private attemptHedged(context: RequestContext, attempt: AttemptRecord): void {
    this.instruments()?.hedges.add(1, attemptAttributes(context, attempt));
  }

  private requestEnd(context: RequestContext, error: SwitchyardError | undefined): void {
    const instruments = this.instruments();
    const state = context.locals[STATE] as RequestTrace | undefined;
    if (!instruments && !state) return;
    const last = context.attempts.at(-1);
    const responseModel = responseModelOf(context);
    const operation = GEN_AI_OPERATION_NAMES[context.operation];
    const status = responseStatus(context, error);
    if (instruments) {
      const attributes: Attributes = {
        [ATTR_GEN_AI_OPERATION_NAME]: operation,
        [ATTR_GEN_AI_REQUEST_MODEL]: this.modelLabel(context),
      };
      if (last) attributes[ATTR_GEN_AI_PROVIDER_NAME] = last.target.provider.name;
      if (this.settings.principalAttribute && context.principal)
        attributes[ATTR_SWITCHYARD_PRINCIPAL_ID] = context.principal.id;
      if (error) attributes[ATTR_ERROR_TYPE] = error.code;
      const durationS = (context.timings.endMs ?? performance.now() - context.startedAt) / 1000;
      instruments.serverRequestDuration.record(durationS, attributes);
      if (context.timings.firstByteMs !== undefined && context.stream)
        instruments.timeToFirstToken.record(context.timings.firstByteMs / 1000, attributes);
      instruments.requests.add(1, { ...attributes, [ATTR_HTTP_RESPONSE_STATUS_CODE]: status });
      if (context.usage && last) {
        // Token usage is a client metric: the model the upstream was asked for, and the one that answered.
        const usageAttributes: Attributes = {
          [ATTR_GEN_AI_OPERATION_NAME]: operation,
          [ATTR_GEN_AI_PROVIDER_NAME]: last.target.provider.name,
          [ATTR_GEN_AI_REQUEST_MODEL]: last.target.model,
        };
        if (responseModel) usageAttributes[ATTR_GEN_AI_RESPONSE_MODEL] = responseModel;
        if (attributes[ATTR_SWITCHYARD_PRINCIPAL_ID] !== undefined)
          usageAttributes[ATTR_SWITCHYARD_PRINCIPAL_ID] = attributes[ATTR_SWITCHYARD_PRINCIPAL_ID];
        instruments.tokenUsage.record(context.usage.prompt_tokens, {
          ...usageAttributes,
          [ATTR_GEN_AI_TOKEN_TYPE]: "input",
        });
        if (context.operation !== "embeddings") {
          instruments.tokenUsage.record(context.usage.completion_tokens ?? 0, {
            ...usageAttributes,
            [ATTR_GEN_AI_TOKEN_TYPE]: "output",
          });
        }
        if (context.cost !== undefined && context.cost > 0)
          instruments.cost.add(context.cost, usageAttributes);
      }
    }
    if (state) this.endSpans(context, state, error, status, responseModel);
  }

  private endSpans(
    context: RequestContext,
    state: RequestTrace,
    error: SwitchyardError | undefined,
    status: number,
    responseModel: string | undefined,
  ): void {
    const finishReasons = finishReasonsOf(context);
    const answered: Attributes = {};
    if (responseModel) answered[ATTR_GEN_AI_RESPONSE_MODEL] = responseModel;
    if (finishReasons) answered[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = finishReasons;
    if (context.usage) {
      answered[ATTR_GEN_AI_USAGE_INPUT_TOKENS] = context.usage.prompt_tokens;
      if (context.operation !== "embeddings")
        answered[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = context.usage.completion_tokens ?? 0;
    }
    // Attempts that ended well are closed here; the last of them is the one whose answer was used.
    const open = state.attempts.filter((attempt) => attempt.outcome !== "failed");
    const winner = open.findLast((attempt) => attempt.outcome === "answered");
    for (const attempt of open) {
      const endTime = epochMs(attempt.outcome === "answered" ? attempt.endedAt : performance.now());
      if (attempt !== winner) {
        attempt.span.setAttribute(ATTR_SWITCHYARD_ATTEMPT_DISCARDED, true);
        attempt.span.end(endTime);
        continue;
      }
      attempt.span.setAttributes(answered);
      // A stream that failed after its first event failed on this attempt.
      if (error) endWithError(attempt.span, error, endTime);
      else attempt.span.end(endTime);
    }
    const span = state.span;
    const last = context.attempts.at(-1);
    if (last) span.setAttribute(ATTR_GEN_AI_PROVIDER_NAME, last.target.provider.name);
    if (context.principal) span.setAttribute(ATTR_SWITCHYARD_PRINCIPAL_ID, context.principal.id);
    if (context.cost !== undefined) span.setAttribute(ATTR_SWITCHYARD_COST_USD, context.cost);
    span.setAttributes(answered);
    span.setAttribute(ATTR_SWITCHYARD_ATTEMPTS, context.attempts.length);
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    const endTime = epochMs(
      context.startedAt + (context.timings.endMs ?? performance.now() - context.startedAt),
    );
    if (error) endWithError(span, error, endTime);
    else span.end(endTime);
  }

  private limitDecision(context: RequestContext, decision: LimitDecision): void {
    const instruments = this.instruments();
    if (!instruments) return;
    const attributes: Attributes = {
      [ATTR_SWITCHYARD_LIMIT_NAME]: decision.limit,
      [ATTR_SWITCHYARD_LIMIT_OUTCOME]: decision.allowed ? "allowed" : "denied",
    };
    if (this.settings.principalAttribute && context.principal)
      attributes[ATTR_SWITCHYARD_PRINCIPAL_ID] = context.principal.id;
    instruments.rateLimitDecisions.add(1, attributes);
  }

  private breakerChange(endpoint: Endpoint, _from: CircuitState, to: CircuitState): void {
    this.instruments()?.breakerTransitions.add(1, {
      [ATTR_SWITCHYARD_ENDPOINT_ID]: endpoint.id,
      [ATTR_SWITCHYARD_BREAKER_STATE]: to,
    });
  }

  // The requested model as a metric label: only models the gateway serves (or routed), never raw input.
  private modelLabel(context: RequestContext): string {
    if (context.route !== undefined || this.gateway.findModel(context.model) !== undefined)
      return context.model;
    return OTHER_MODEL;
  }
}

function* breakerStates(gateway: Gateway | undefined): Iterable<readonly [Attributes, number]> {
  if (!gateway || gateway.state === "closed") return;
  for (const [endpoint, stats] of gateway.endpointStats.entries()) {
    if (!stats.breaker) continue;
    yield [{ [ATTR_SWITCHYARD_ENDPOINT_ID]: endpoint.id }, BREAKER_LEVELS[stats.breaker.state]];
  }
}

function attemptAttributes(context: RequestContext, attempt: AttemptRecord): Attributes {
  return {
    [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAMES[context.operation],
    [ATTR_GEN_AI_PROVIDER_NAME]: attempt.target.provider.name,
    [ATTR_GEN_AI_REQUEST_MODEL]: attempt.target.model,
    [ATTR_SWITCHYARD_ENDPOINT_ID]: attempt.endpoint.id,
  };
}

// `attempt:failed` does not name the attempt; it is the one whose record holds this error.
function failedAttempt(context: RequestContext, error: SwitchyardError): AttemptRecord | undefined {
  return context.attempts.findLast((attempt) => attempt.error === error) ?? context.attempts.at(-1);
}

function hasNextTarget(context: RequestContext, attempt: AttemptRecord): boolean {
  const targets = context.route?.targets ?? [];
  const index = targets.indexOf(attempt.target);
  return index !== -1 && index + 1 < targets.length;
}

function responseStatus(context: RequestContext, error: SwitchyardError | undefined): number {
  if (!error) return 200;
  // A stream that failed after its first event had already answered 200.
  return context.stream && context.timings.firstByteMs !== undefined ? 200 : error.status;
}

function endWithError(span: Span, error: SwitchyardError, endTime: number): void {
  span.setAttribute(ATTR_ERROR_TYPE, error.code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.code });
  span.end(endTime);
}

function forwardTraceContext(context: RequestContext): void {
  const parent = context.headers.traceparent;
  if (parent === undefined || !TRACEPARENT.test(parent)) return;
  context.upstreamHeaders.traceparent = parent;
  const state = context.headers.tracestate;
  if (state !== undefined && state.length <= 512) context.upstreamHeaders.tracestate = state;
}

interface RequestParameters {
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
  temperature?: unknown;
  top_p?: unknown;
}

function addRequestParameters(attributes: Attributes, request: RequestParameters): void {
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (typeof maxTokens === "number") attributes[ATTR_GEN_AI_REQUEST_MAX_TOKENS] = maxTokens;
  if (typeof request.temperature === "number")
    attributes[ATTR_GEN_AI_REQUEST_TEMPERATURE] = request.temperature;
  if (typeof request.top_p === "number") attributes[ATTR_GEN_AI_REQUEST_TOP_P] = request.top_p;
}

const serverAddresses = new WeakMap<Endpoint, { address: string; port: number } | null>();

function addServerAddress(attributes: Attributes, endpoint: Endpoint): void {
  let server = serverAddresses.get(endpoint);
  if (server === undefined) {
    try {
      const url = new URL(endpoint.origin);
      server = {
        address: url.hostname,
        port: url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80,
      };
    } catch {
      server = null;
    }
    serverAddresses.set(endpoint, server);
  }
  if (server === null) return;
  attributes[ATTR_SERVER_ADDRESS] = server.address;
  attributes[ATTR_SERVER_PORT] = server.port;
}

function epochMs(performanceMs: number): number {
  return performance.timeOrigin + performanceMs;
}

function clip(text: string): string {
  return text.length > MAX_SPAN_STRING ? text.slice(0, MAX_SPAN_STRING) : text;
}
