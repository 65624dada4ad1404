import type { Dispatcher } from "undici";
import type { CanonicalRequest, ChatCompletionChunk } from "./canonical-schemas.js";
import type { CanonicalResponse } from "./canonical-types.js";
import type { RequestContext } from "./context.js";
import type { SwitchyardError } from "./errors.js";
import type { SseEvent } from "./sse-reader.js";

/** What a client asks the gateway to do. */
export type Operation = "chat" | "completions" | "embeddings";

/** Prices in USD per million tokens. */
export interface ModelPrice {
  readonly inputPerMillion: number;
  readonly outputPerMillion: number;
  /** Price of prompt tokens served from the provider's prompt cache. @default inputPerMillion */
  readonly cachedInputPerMillion?: number;
}

/** A model a provider serves. */
export interface ModelInfo {
  /** The id clients send as `model` and the provider receives. */
  readonly id: string;
  /** What the model can do. @default ["chat"] */
  readonly operations?: readonly Operation[];
  /** For cost accounting; absent means cost is unknown (not zero). */
  readonly price?: ModelPrice;
}

/**
 * One place a provider's requests can go: an origin, a base path and the credentials for it. A provider
 * with several keys or regions has several endpoints; load balancing picks among them.
 */
export interface Endpoint {
  /** Stable id, unique in the gateway, e.g. `openai#0`. Safe to log. */
  readonly id: string;
  /** `https://api.openai.com`: the connection pool key. */
  readonly origin: string;
  /** Path prefix every request path is appended to, e.g. `/v1`. No trailing slash. */
  readonly basePath: string;
  /** Headers sent on every request (credentials included). Secret: never log them. */
  readonly headers: Readonly<Record<string, string>>;
  /** Relative share of traffic under the `weighted` balancing strategy (the default round-robin ignores it). @default 1 */
  readonly weight: number;
}

/** The HTTP request a provider wants sent; the transport adds the endpoint's origin and headers. */
export interface UpstreamRequest {
  readonly method: "GET" | "POST";
  /** Appended to the endpoint's base path, e.g. `/chat/completions`. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/**
 * HTTP access for providers that need more than one exchange per call (Replicate polls a prediction and
 * streams from a URL its API returns). Requests carry the endpoint's headers and the request's abort signal.
 */
export interface ProviderHttp {
  /**
   * Sends a request to the call's endpoint, or to `url` when given: an absolute URL the provider's own API
   * returned (never one a client supplied).
   */
  send(request: UpstreamRequest, url?: string, options?: ProviderSendOptions): Promise<UpstreamAnswer>;
}

/** Options of one `ProviderHttp.send`. */
export interface ProviderSendOptions {
  /**
   * Not tied to the attempt's abort signal: for clean-up calls that must go out after the client left
   * (cancelling a prediction). Bounded by `timeoutMs` instead. @default false
   */
  readonly detached?: boolean;
  /** With `detached`: give up after this long. @default 10000 */
  readonly timeoutMs?: number;
}

/** An upstream answer whose body has not been read yet (undici's body: async-iterable, `.text()`, `.json()`). */
export interface UpstreamAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Dispatcher.ResponseData["body"];
}

/** What an upstream error looked like, for `Provider.parseError`. */
export interface UpstreamErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body as text, at most 64 KiB of it. */
  readonly body: string;
}

/** The facts a provider gets with each call. */
export interface ProviderCall {
  readonly operation: Operation;
  /** The provider-side model id (after routing and aliasing). */
  readonly model: string;
  readonly endpoint: Endpoint;
  readonly context: RequestContext;
  /** Aborts when this attempt is abandoned: the client left, a hedge lost, or a timeout fired. */
  readonly signal: AbortSignal;
}

/**
 * Turns a provider's stream events into canonical `chat.completion.chunk`s. One instance per stream.
 * The last chunk it returns should carry `usage` with `choices: []`, as OpenAI does with
 * `stream_options.include_usage`; the gateway shows it to the client only if the client asked.
 */
export interface StreamTranslator {
  /** Translates one upstream event; may return none or several chunks. Throws a SwitchyardError on an error event. */
  push(event: SseEvent): ChatCompletionChunk[];
  /** True once the provider's end-of-stream marker was seen. */
  readonly done: boolean;
  /**
   * Optional: called once when the upstream body ends, for providers without an end marker; returns the
   * last chunks (the usage chunk) and may set `done`.
   */
  finish?(): ChatCompletionChunk[];
}

/**
 * A provider plugin: everything the gateway needs to reach one LLM API. See
 * `docs/guides/writing-a-provider.md`.
 */
export interface Provider {
  /** Unique name in the gateway; clients may address models as `name/model`. */
  readonly name: string;
  /**
   * The provider's wire dialect. `"openai"` means requests and responses are OpenAI Chat Completions
   * bytes, which lets the gateway pass them through untouched when no transform is tapped.
   */
  readonly dialect: string;
  /** The endpoints requests go to; may be filled in by `start()`. */
  readonly endpoints: readonly Endpoint[];
  /** The models it serves, with prices. */
  models(): readonly ModelInfo[];
  /** Whether a model that is not in `models()` may still be sent to it when addressed as `name/model`. */
  readonly acceptsUnlistedModels: boolean;
  /** Canonical request -> the provider's wire request. Must not mutate `request`. */
  buildRequest(request: CanonicalRequest, call: ProviderCall): UpstreamRequest;
  /** The provider's parsed JSON answer -> the canonical response. Throws a SwitchyardError when malformed. */
  parseResponse(body: unknown, call: ProviderCall): CanonicalResponse;
  /** A non-2xx upstream answer -> a SwitchyardError with the upstream message kept. */
  parseError(response: UpstreamErrorResponse, call: ProviderCall): SwitchyardError;
  /** A translator for one streamed response. */
  createStreamTranslator(call: ProviderCall): StreamTranslator;
  /**
   * Optional: run the whole exchange yourself (several requests, polling) and return the final answer,
   * which the gateway then reads like any other: `parseError` for >= 400, `parseResponse` or the stream
   * translator otherwise. When absent, the gateway sends `buildRequest`'s request once.
   */
  execute?(request: CanonicalRequest, call: ProviderCall, http: ProviderHttp): Promise<UpstreamAnswer>;
  /**
   * Optional: the upstream request for a client body already in this provider's own wire format (an
   * inbound dialect's passthrough, e.g. Anthropic Messages in, Anthropic out). `body` is the client's JSON
   * with `model` already replaced by the target's; keep every field.
   */
  buildPassthroughRequest?(body: unknown, call: ProviderCall): UpstreamRequest;
  /** Called once when the gateway starts (e.g. to start an embedded server). */
  start?(): Promise<void>;
  /** Called once when the gateway closes. */
  close?(): Promise<void>;
}
