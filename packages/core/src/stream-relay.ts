import type { ChatCompletionChunk, Usage } from "./canonical-schemas.js";
import { chatToCompletionChunk } from "./completions-bridge.js";
import type { GatewayRequestContext } from "./context.js";
import { SwitchyardError } from "./errors.js";
import type { GatewayHooks } from "./gateway-hooks.js";
import type { GatewayHttpResponse } from "./http-types.js";
import type { DialectPassthrough, StreamEncoder } from "./inbound-dialect.js";
import { OpenAIStreamPassthrough } from "./openai-stream-passthrough.js";
import type { Provider, ProviderCall, UpstreamAnswer } from "./provider.js";
import { SseReader } from "./sse-reader.js";
import { formatSseEvent } from "./sse-writer.js";
import { tapped } from "./tapped.js";
import { mapTransportError } from "./transport.js";

/**
 * A stream whose first event has arrived but which is not yet the request's answer: the attempt loop
 * commits the winner and discards the rest (hedging), and a stream that fails before its first event is
 * still an ordinary failed attempt (retried or fallen back from).
 */
export interface PreparedStream {
  /** Makes this stream the answer. `finish` runs once when it ends, fails or the client leaves. */
  commit(finish: (error: SwitchyardError | undefined) => void): GatewayHttpResponse;
  /** Drops it (a hedge that lost): the upstream request is aborted. */
  discard(): void;
}

/** What preparing a stream needs to know. */
export interface StreamSetup {
  readonly hooks: GatewayHooks;
  readonly context: GatewayRequestContext;
  readonly provider: Provider;
  readonly call: ProviderCall;
  readonly response: UpstreamAnswer;
  readonly headers: Record<string, string>;
  /** A chat stream shaped back into legacy completion chunks. */
  readonly bridged: boolean;
  /** Writes canonical chunks in the client's dialect. */
  readonly encoder: StreamEncoder;
  /**
   * The upstream already speaks the client's dialect (an inbound-dialect passthrough): forward its bytes and
   * let this watcher read usage, the end marker and errors.
   */
  readonly rawWatcher?: ReturnType<DialectPassthrough["createStreamWatcher"]>;
  readonly firstTokenMs: number;
  /** Called once when the upstream body is done with: `undefined` when it ended well, `null` when discarded. */
  readonly onUpstreamDone: (outcome: SwitchyardError | undefined | null) => void;
}

/** Reads until the first event is ready (bounded by `firstTokenMs`); throws when the stream fails first. */
export async function prepareStream(setup: StreamSetup): Promise<PreparedStream> {
  const { context, response } = setup;
  const passthrough =
    setup.context.dialect === "openai" &&
    setup.provider.dialect === "openai" &&
    !setup.bridged &&
    !tapped(setup.hooks.transformStreamChunk);
  const source = setup.rawWatcher
    ? rawDialectBody(setup, setup.rawWatcher)
    : passthrough
      ? passthroughBody(setup)
      : translatedBody(setup);
  let upstreamDone = false;
  const releaseUpstream = (outcome: SwitchyardError | undefined | null) => {
    if (upstreamDone) return;
    upstreamDone = true;
    if (!response.body.destroyed) response.body.destroy();
    setup.onUpstreamDone(outcome);
  };
  let timer: NodeJS.Timeout | undefined;
  let first: IteratorResult<Uint8Array>;
  try {
    first = await Promise.race([
      source.next(),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new SwitchyardError(
                "SWY_ERR_UPSTREAM_TIMEOUT_FIRST_TOKEN",
                "The provider's stream sent nothing in time.",
              ),
            ),
          setup.firstTokenMs,
        );
      }),
    ]);
  } catch (error) {
    void source.return(undefined).catch(() => {});
    let failure = context.signal.aborted ? clientClosed(error) : streamFailure(error);
    // Nothing reached the client yet, so even a cut stream is safe to try again.
    if (failure.code === "SWY_ERR_UPSTREAM_STREAM_CUT") {
      failure = new SwitchyardError(failure.code, failure.message, { retryable: true, cause: error });
    }
    releaseUpstream(failure);
    throw failure;
  } finally {
    clearTimeout(timer);
  }

  return {
    discard() {
      releaseUpstream(null);
      void source.return(undefined).catch(() => {});
    },
    commit(finish) {
      let started = false;
      let finished = false;
      const end = (error: SwitchyardError | undefined) => {
        if (finished) return;
        finished = true;
        context.signal.removeEventListener("abort", onAbortBeforeStart);
        releaseUpstream(error);
        finish(error);
      };
      // If the client leaves before the adapter starts reading, the body generator never runs: clean up here.
      const onAbortBeforeStart = () => {
        if (started) return;
        void source.return(undefined).catch(() => {});
        end(clientClosed(undefined));
      };
      context.signal.addEventListener("abort", onAbortBeforeStart, { once: true });
      if (context.signal.aborted) onAbortBeforeStart();

      async function* body(): AsyncGenerator<Uint8Array> {
        started = true;
        let failure: SwitchyardError | undefined;
        try {
          if (!first.done) yield first.value;
          for (let next = await source.next(); !next.done; next = await source.next()) yield next.value;
        } catch (error) {
          failure = context.signal.aborted ? clientClosed(error) : streamFailure(error);
          // Headers are gone: the error travels as an SSE event, which the OpenAI SDKs raise as an APIError.
          if (!context.signal.aborted) yield textEncoder.encode(setup.encoder.error(failure));
        } finally {
          if (failure === undefined && context.signal.aborted) failure = clientClosed(undefined);
          end(failure);
        }
      }
      return { status: 200, headers: setup.headers, body: body() };
    },
  };
}

async function* passthroughBody(setup: StreamSetup): AsyncGenerator<Uint8Array> {
  const { context, response } = setup;
  const relay = new OpenAIStreamPassthrough(context.streamUsageRequested);
  for await (const chunk of response.body) {
    const out = relay.push(chunk);
    if (out.byteLength > 0) {
      context.timings.firstByteMs ??= performance.now() - context.startedAt;
      context.streamedEvents = relay.events;
      yield out;
    }
    if (relay.errorEvent) throw upstreamStreamError(relay.errorEvent);
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
  context.responseModel ??= relay.model;
  if (relay.finishReasons.length > 0) context.finishReasons = relay.finishReasons;
  if (!relay.done) throw streamCut();
}

async function* rawDialectBody(
  setup: StreamSetup,
  watcher: NonNullable<StreamSetup["rawWatcher"]>,
): AsyncGenerator<Uint8Array> {
  const { context, response } = setup;
  const reader = new SseReader();
  for await (const chunk of response.body) {
    for (const event of reader.push(chunk)) {
      watcher.push(event);
      context.streamedEvents++;
    }
    context.timings.firstByteMs ??= performance.now() - context.startedAt;
    // The read is forwarded whole: the provider's own error event reaches the client in its own shape.
    yield chunk;
    if (watcher.error) throw watcher.error;
  }
  for (const event of reader.end()) watcher.push(event);
  context.usage = normaliseUsage(watcher.usage);
  if (watcher.error) throw watcher.error;
  if (!watcher.done) throw streamCut();
}

async function* translatedBody(setup: StreamSetup): AsyncGenerator<Uint8Array> {
  const { context, response, hooks } = setup;
  const streamEncoder = setup.encoder;
  // Only OpenAI clients may not want the usage chunk; other dialects' encoders need it.
  const hideUsage = context.dialect === "openai" && !context.streamUsageRequested;
  const reader = new SseReader();
  const translator = setup.provider.createStreamTranslator(setup.call);
  const transform = tapped(hooks.transformStreamChunk);
  const emit = (chunk: ChatCompletionChunk): Uint8Array | undefined => {
    context.responseModel ??= chunk.model;
    for (const choice of chunk.choices) {
      if (!choice.finish_reason) continue;
      context.finishReasons ??= [];
      context.finishReasons.push(choice.finish_reason);
    }
    if (chunk.usage) {
      context.usage = normaliseUsage(chunk.usage);
      if (chunk.choices.length === 0 && hideUsage) return undefined;
    }
    const out = transform ? hooks.transformStreamChunk.call(chunk, context) : chunk;
    context.streamedEvents++;
    context.timings.firstByteMs ??= performance.now() - context.startedAt;
    const text = streamEncoder.chunk(out);
    return text === undefined ? undefined : textEncoder.encode(text);
  };
  for await (const bytes of response.body) {
    for (const event of reader.push(bytes)) {
      for (const chunk of translator.push(event)) {
        const out = emit(chunk);
        if (out) yield out;
      }
    }
  }
  for (const event of reader.end()) {
    for (const chunk of translator.push(event)) {
      const out = emit(chunk);
      if (out) yield out;
    }
  }
  for (const chunk of translator.finish?.() ?? []) {
    const out = emit(chunk);
    if (out) yield out;
  }
  if (!translator.done) throw streamCut();
  yield textEncoder.encode(streamEncoder.end());
}

const textEncoder = new TextEncoder();

/** The OpenAI Chat Completions stream encoder (or legacy completions, when `bridged`). */
export function createOpenAIStreamEncoder(bridged: boolean): StreamEncoder {
  return {
    chunk: (chunk) => formatSseEvent(JSON.stringify(bridged ? chatToCompletionChunk(chunk) : chunk)),
    end: () => "data: [DONE]\n\n",
    error: (error) => formatSseEvent(JSON.stringify(error.toBody())),
  };
}

/** Usage with `completion_tokens` filled in when a provider left it out. */
export function normaliseUsage(usage: Usage | undefined): Usage | undefined {
  if (!usage) return undefined;
  if (usage.completion_tokens !== undefined) return usage;
  return { ...usage, completion_tokens: Math.max(0, usage.total_tokens - usage.prompt_tokens) };
}

function clientClosed(cause: unknown): SwitchyardError {
  return new SwitchyardError("SWY_ERR_CLIENT_CLOSED", "The client closed the request.", { cause });
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
