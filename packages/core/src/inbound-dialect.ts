import type {
  CanonicalRequest,
  ChatCompletionChunk,
  ChatCompletionResponse,
  Usage,
} from "./canonical-schemas.js";
import type { RequestContext } from "./context.js";
import type { SwitchyardError } from "./errors.js";
import type { GatewayHttpRequest, GatewayHttpResponse } from "./http-types.js";
import type { Operation } from "./provider.js";
import type { SseEvent } from "./sse-reader.js";

/**
 * Turns canonical chunks into the bytes of one client stream, in the client's dialect. One per stream.
 * The OpenAI dialect writes each chunk as `data: {json}` and ends with `data: [DONE]`; others write their
 * own event sequence (Anthropic's `message_start` ... `message_stop`, the Responses API's events).
 */
export interface StreamEncoder {
  /** Bytes for one canonical chunk (none is fine: an encoder may hold state until a later chunk). */
  chunk(chunk: ChatCompletionChunk): string | undefined;
  /** Bytes that end a successful stream. */
  end(): string;
  /** Bytes that end a failed stream (headers are gone, so the error is an event). */
  error(error: SwitchyardError): string;
}

/** A request the dialect answers itself, without the pipeline (e.g. `POST /v1/messages/count_tokens`). */
export type DialectRouteHandler = (
  request: GatewayHttpRequest,
  body: unknown,
  context: { readonly requestId: string },
) => Promise<GatewayHttpResponse>;

/**
 * An inbound dialect: an API shape clients speak to the gateway besides OpenAI Chat Completions (the
 * Anthropic Messages API, the OpenAI Responses API). It maps the client's request to the canonical form
 * and the canonical answer back, so every hook, limit, route and provider works whatever the client speaks.
 * Register with `gateway.addDialect()` (or the `dialects` option) before start.
 */
export interface InboundDialect {
  /** Unique name; set as `context.dialect`. */
  readonly name: string;
  /** Paths (below the mount point) the dialect serves with POST, and the operation each is. */
  readonly routes: Readonly<Record<string, Operation>>;
  /** Extra POST paths the dialect answers itself. */
  readonly handlers?: Readonly<Record<string, DialectRouteHandler>>;
  /** The client's parsed JSON body -> the canonical request. Throws SwitchyardError (400) naming the field. */
  toCanonical(body: unknown): CanonicalRequest;
  /** Whether the client asked for a stream (read from its own body shape). */
  isStream(body: unknown): boolean;
  /** A complete canonical answer -> the client's JSON body. */
  fromCanonical(response: ChatCompletionResponse, context: RequestContext): unknown;
  /** A stream encoder for one streamed answer. */
  createStreamEncoder(context: RequestContext): StreamEncoder;
  /** An error in the client's error shape (status and headers come from the error). */
  errorBody(error: SwitchyardError): unknown;
  /**
   * Optional byte passthrough: when a request's target provider speaks this same wire format (its
   * `dialect` equals `providerDialect`) and implements `buildPassthroughRequest`, and no transform hook is
   * tapped, the client's body goes upstream as is (model replaced) and the upstream's bytes come back
   * untouched — dialect-only fields survive. Usage is still read for limits and cost.
   */
  readonly passthrough?: DialectPassthrough;
}

/** How a dialect reads usage from its own wire format, for the passthrough. */
export interface DialectPassthrough {
  /** The provider `dialect` whose wire format equals this inbound one (e.g. "anthropic"). */
  readonly providerDialect: string;
  /** Usage from a complete answer. */
  usageOf(body: unknown): Usage | undefined;
  /** Watches one raw stream's events: usage, the end marker, and an in-stream error. */
  createStreamWatcher(): {
    push(event: SseEvent): void;
    readonly usage: Usage | undefined;
    readonly done: boolean;
    readonly error: SwitchyardError | undefined;
  };
}
