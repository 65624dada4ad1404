import type {
  CanonicalRequest,
  ChatCompletionRequest,
  ChatCompletionResponse,
  CompletionRequest,
} from "./canonical-schemas.js";
import type { CanonicalResponse } from "./canonical-types.js";
import { chatToCompletionResponse, completionToChatRequest } from "./completions-bridge.js";
import type { AttemptRecord, GatewayRequestContext, RequestContext, RouteTarget } from "./context.js";
import type { EndpointStats } from "./endpoint-stats.js";
import { SwitchyardError } from "./errors.js";
import type { GatewayHttpResponse } from "./http-types.js";
import { notify, type PipelineRuntime } from "./pipeline.js";
import type { Endpoint, ProviderCall, UpstreamAnswer } from "./provider.js";
import {
  createOpenAIStreamEncoder,
  normaliseUsage,
  type PreparedStream,
  prepareStream,
} from "./stream-relay.js";
import { tapped } from "./tapped.js";
import { mapTransportError } from "./transport.js";

const JSON_HEADERS = { "content-type": "application/json" } as const;
const SSE_RESPONSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
} as const;
const MAX_ERROR_BODY_BYTES = 64 * 1024;
// OpenAI and most servers; Anthropic; Azure API Management (sent on errors too).
const UPSTREAM_REQUEST_ID_HEADERS = ["x-request-id", "request-id", "apim-request-id"] as const;

/** How an attempt ended well: a complete answer, or a stream ready to be committed. */
export type AttemptResult =
  | { readonly kind: "complete"; readonly response: GatewayHttpResponse }
  | { readonly kind: "stream"; readonly stream: PreparedStream };

/** An attempt in flight. */
export interface RunningAttempt {
  readonly endpoint: Endpoint;
  readonly record: AttemptRecord;
  /** Settles with the result, or rejects with a SwitchyardError. */
  readonly result: Promise<AttemptResult>;
  /** Aborts it (a lost hedge). A stream that was already prepared is discarded. */
  cancel(): void;
}

/** Starts one upstream attempt for `target` on `endpoint`. */
export function startAttempt(
  runtime: PipelineRuntime,
  context: GatewayRequestContext,
  target: RouteTarget,
  endpoint: Endpoint,
): RunningAttempt {
  const record: AttemptRecord = { target, endpoint, startedAt: performance.now() - context.startedAt };
  context.attempts.push(record);
  const controller = new AbortController();
  const onClientAbort = () => controller.abort();
  context.signal.addEventListener("abort", onClientAbort, { once: true });
  // One plain timer per attempt (cheaper than AbortSignal.timeout + AbortSignal.any per request).
  const totalTimer = setTimeout(
    () => controller.abort(new DOMException("The upstream exchange took too long.", "TimeoutError")),
    runtime.transport.timeouts.totalMs,
  );
  const stats = runtime.endpointStats.get(endpoint);
  stats.inFlight++;
  notify(runtime, () => runtime.events.emit("attempt:start", context, record));
  let released = false;
  // Stats and the client-abort link live as long as the upstream exchange: for streams, until the stream ends.
  // `undefined`: it went well; `null`: cancelled (a lost hedge) and says nothing about the endpoint.
  const release = (outcome: SwitchyardError | undefined | null) => {
    if (released) return;
    released = true;
    clearTimeout(totalTimer);
    stats.inFlight--;
    context.signal.removeEventListener("abort", onClientAbort);
    if (outcome) record.error ??= outcome;
    if (outcome === undefined) stats.breaker?.record(true);
    else if (outcome !== null && outcome.code !== "SWY_ERR_CLIENT_CLOSED") {
      // An endpoint that answered, even with a 4xx, is healthy; only retryable failures count against it.
      if (outcome.retryable) stats.record(0, false);
      stats.breaker?.record(!outcome.retryable);
    }
    notify(runtime, () => runtime.events.emit("attempt:end", context, record));
  };
  let prepared: PreparedStream | undefined;
  let cancelled = false;
  const result = run(runtime, context, target, endpoint, record, controller.signal, stats, release).then(
    (outcome) => {
      if (outcome.kind === "stream") prepared = outcome.stream;
      if (cancelled) outcome.kind === "stream" && outcome.stream.discard();
      return outcome;
    },
    (error: unknown) => {
      const failure = SwitchyardError.is(error) ? error : mapTransportError(error, context.signal);
      record.error = failure;
      record.durationMs ??= performance.now() - context.startedAt - record.startedAt;
      release(cancelled ? null : failure);
      throw failure;
    },
  );
  return {
    endpoint,
    record,
    result,
    cancel() {
      cancelled = true;
      record.cancelled = true;
      controller.abort();
      prepared?.discard();
    },
  };
}

async function run(
  runtime: PipelineRuntime,
  context: GatewayRequestContext,
  target: RouteTarget,
  endpoint: Endpoint,
  record: AttemptRecord,
  signal: AbortSignal,
  stats: EndpointStats,
  release: (outcome: SwitchyardError | undefined | null) => void,
): Promise<AttemptResult> {
  const { hooks, transport } = runtime;
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
  if (tapped(hooks.transformRequest)) request = await hooks.transformRequest.promise(request, context);
  const call: ProviderCall = {
    operation: bridged ? "chat" : context.operation,
    model: target.model,
    endpoint,
    context,
    signal,
  };
  const dialect = context.dialect === "openai" ? undefined : runtime.dialects.get(context.dialect);
  // The client already speaks the provider's wire format: send its body as is, return the bytes as they come.
  const raw =
    dialect?.passthrough &&
    dialect.passthrough.providerDialect === provider.dialect &&
    provider.buildPassthroughRequest &&
    !provider.execute &&
    !target.params &&
    !tapped(hooks.transformRequest) &&
    !tapped(hooks.transformResponse) &&
    !tapped(hooks.transformStreamChunk)
      ? dialect.passthrough
      : undefined;
  const sendOptions = {
    signal,
    clientSignal: context.signal,
    requestId: context.id,
    extraHeaders: context.upstreamHeaders,
  };
  const response = provider.execute
    ? await provider.execute(request, call, {
        send: (upstreamRequest, url, options) => {
          const detached = options?.detached
            ? {
                signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
                clientSignal: new AbortController().signal,
              }
            : {};
          const target = url ? { url: upstreamUrl(url) } : {};
          return transport.send(endpoint, upstreamRequest, { ...sendOptions, ...detached, ...target });
        },
      })
    : await transport.send(
        endpoint,
        raw && provider.buildPassthroughRequest
          ? provider.buildPassthroughRequest(
              { ...(context.clientBody as object), ...target.params, model: target.model },
              call,
            )
          : provider.buildRequest(request, call),
        sendOptions,
      );
  record.status = response.status;
  if (response.status >= 400) {
    const body = await readErrorBody(response, context.signal);
    record.durationMs = performance.now() - context.startedAt - record.startedAt;
    throw provider.parseError({ status: response.status, headers: response.headers, body }, call);
  }
  const headers = responseHeaders(context, response);
  if (context.stream) {
    const stream = await prepareStream({
      hooks,
      context,
      provider,
      call,
      response,
      headers,
      bridged,
      encoder: dialect ? dialect.createStreamEncoder(context) : createOpenAIStreamEncoder(bridged),
      ...(raw ? { rawWatcher: raw.createStreamWatcher() } : {}),
      firstTokenMs: transport.timeouts.firstTokenMs,
      onUpstreamDone: release,
    });
    record.durationMs = performance.now() - context.startedAt - record.startedAt;
    stats.record(record.durationMs, true);
    return { kind: "stream", stream };
  }
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    throw mapTransportError(error, context.signal);
  }
  record.durationMs = performance.now() - context.startedAt - record.startedAt;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SwitchyardError(
      "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
      "The provider's answer is not valid JSON.",
    );
  }
  if (raw) {
    stats.record(record.durationMs, true);
    release(undefined);
    context.usage = normaliseUsage(raw.usageOf(parsed));
    return { kind: "complete", response: { status: 200, headers, body: text } };
  }
  let canonical: CanonicalResponse = provider.parseResponse(parsed, call);
  context.responseModel = canonical.model;
  if ("choices" in canonical && canonical.object !== "list") {
    context.finishReasons = canonical.choices.map((choice) => String(choice.finish_reason ?? ""));
  }
  stats.record(record.durationMs, true);
  release(undefined);
  context.usage = normaliseUsage(canonical.usage);
  const passthrough =
    !dialect && provider.dialect === "openai" && !bridged && !tapped(hooks.transformResponse);
  if (passthrough) return { kind: "complete", response: { status: 200, headers, body: text } };
  if (bridged) canonical = chatToCompletionResponse(canonical as ChatCompletionResponse);
  if (tapped(hooks.transformResponse)) canonical = await hooks.transformResponse.promise(canonical, context);
  const body = dialect ? dialect.fromCanonical(canonical as ChatCompletionResponse, context) : canonical;
  return { kind: "complete", response: { status: 200, headers, body: JSON.stringify(body) } };
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

function responseHeaders(context: RequestContext, response: UpstreamAnswer): Record<string, string> {
  const headers: Record<string, string> = {
    ...(context.stream ? SSE_RESPONSE_HEADERS : JSON_HEADERS),
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

async function readErrorBody(response: UpstreamAnswer, signal: AbortSignal): Promise<string> {
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
