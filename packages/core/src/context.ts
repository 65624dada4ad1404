import type { CanonicalRequest, Usage } from "./canonical-schemas.js";
import type { SwitchyardError } from "./errors.js";
import type { Endpoint, Operation, Provider } from "./provider.js";

/** Who is calling, as established by an `authenticate` tap. */
export interface Principal {
  /** Stable id (a key id, a user id): used as a rate-limit and spend key. Never a secret. */
  readonly id: string;
  readonly team?: string;
  /** Free-form facts for routing and policy plugins. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** One place a route may send the request: a provider and its model id. */
export interface RouteTarget {
  readonly provider: Provider;
  /** The model id the provider receives. */
  readonly model: string;
  /** Request fields merged over the client's for this target (e.g. a lower `temperature`). */
  readonly params?: Readonly<Record<string, unknown>>;
}

/**
 * Hedging: when the first attempt has not answered after a delay, start a second one on another endpoint
 * (or the next target) and keep whichever answers first; the other is cancelled.
 */
export interface HedgePolicy {
  /** Fixed delay before the hedge, in ms; also the delay while `percentile` has too few samples. */
  readonly delayMs: number;
  /** Use this latency percentile of the first endpoint (e.g. 95) as the delay once it is known. */
  readonly percentile?: number;
}

/** The ordered targets a request may try: the first, then each fallback. */
export interface RoutePlan {
  readonly targets: readonly RouteTarget[];
  /** Hedge the first attempt (opt-in per route). */
  readonly hedge?: HedgePolicy;
  /**
   * Which failures may move on to the next target. @default retryable failures and content-filter blocks
   */
  readonly shouldFallback?: (error: SwitchyardError) => boolean;
}

/** What happened on one upstream attempt. */
export interface AttemptRecord {
  readonly target: RouteTarget;
  readonly endpoint: Endpoint;
  /** ms since the request started. */
  readonly startedAt: number;
  /** ms the attempt took, until headers for streams, until the body otherwise. */
  durationMs?: number;
  /** Set when the attempt was cancelled because another (hedged) attempt answered first. */
  cancelled?: boolean;
  /** The upstream HTTP status, when one came. */
  status?: number;
  error?: SwitchyardError;
}

/** Timings in ms since the request started (`performance.now()` based). */
export interface RequestTimings {
  /** When the first response byte went to the client. */
  firstByteMs?: number;
  /** When the response (or stream) finished. */
  endMs?: number;
}

/** The per-request state every hook receives. */
export interface RequestContext {
  /** Request id: the client's `x-request-id` when well-formed, else generated. Sent back and upstream. */
  readonly id: string;
  readonly operation: Operation;
  /** The API dialect the client speaks: `"openai"` (Chat Completions), or an inbound dialect's name. */
  readonly dialect: string;
  /** The client's parsed JSON body, in its own dialect (the canonical form is `request`). */
  readonly clientBody: unknown;
  /** Inbound headers, lower-cased names. May hold the client's credentials: never log them whole. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The socket peer's address (see `GatewayHttpRequest.remoteAddress`); undefined when the adapter cannot tell. */
  readonly remoteAddress: string | undefined;
  /** The model the upstream says answered (`model` of its response), once known. */
  responseModel: string | undefined;
  /** The finish reasons of the answer's choices, once known. */
  finishReasons: string[] | undefined;
  /** Aborts when the client disconnects or the gateway gives up. */
  readonly signal: AbortSignal;
  /** `performance.now()` at arrival. */
  readonly startedAt: number;
  /** `Date.now()` at arrival. */
  readonly receivedAt: number;
  /**
   * The canonical request as the client sent it (validated). `transformRequest` taps change the copy each
   * attempt sends, not this.
   */
  request: CanonicalRequest;
  /** The model the client asked for (alias or real id). */
  readonly model: string;
  readonly stream: boolean;
  /** Whether the client itself asked for usage on its stream (`stream_options.include_usage`). */
  readonly streamUsageRequested: boolean;
  principal: Principal | undefined;
  route: RoutePlan | undefined;
  readonly attempts: AttemptRecord[];
  /** Actual usage, once known. */
  usage: Usage | undefined;
  /** USD cost of `usage`, when the model has a price. */
  cost: number | undefined;
  /**
   * Stream events relayed to the client so far. When a stream ends before the provider reported usage
   * (the client left), this is the best estimate of completion tokens generated: providers send about one
   * token per event.
   */
  streamedEvents: number;
  readonly timings: RequestTimings;
  /** Headers plugins add to the client response (e.g. rate-limit headers). */
  readonly responseHeaders: Record<string, string>;
  /** Headers plugins add to every upstream request (e.g. `traceparent`). Provider credentials win over them. */
  readonly upstreamHeaders: Record<string, string>;
  /** Scratch space for plugins; key by your plugin's name or a symbol. */
  readonly locals: Record<string | symbol, unknown>;
}

/** The fields a context is created with. */
export interface RequestContextInit {
  id: string;
  operation: Operation;
  dialect: string;
  clientBody: unknown;
  remoteAddress?: string | undefined;
  headers: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  request: CanonicalRequest;
  startedAt: number;
}

/** Creates a context. One class so every context has the same shape (V8 keeps hot code monomorphic). */
export class GatewayRequestContext implements RequestContext {
  readonly id: string;
  readonly operation: Operation;
  readonly dialect: string;
  readonly clientBody: unknown;
  readonly remoteAddress: string | undefined;
  responseModel: string | undefined = undefined;
  finishReasons: string[] | undefined = undefined;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly signal: AbortSignal;
  readonly startedAt: number;
  readonly receivedAt = Date.now();
  request: CanonicalRequest;
  readonly model: string;
  readonly stream: boolean;
  readonly streamUsageRequested: boolean;
  principal: Principal | undefined = undefined;
  route: RoutePlan | undefined = undefined;
  readonly attempts: AttemptRecord[] = [];
  usage: Usage | undefined = undefined;
  cost: number | undefined = undefined;
  streamedEvents = 0;
  readonly timings: RequestTimings = {};
  readonly responseHeaders: Record<string, string> = {};
  readonly upstreamHeaders: Record<string, string> = {};
  readonly locals: Record<string | symbol, unknown> = {};

  constructor(init: RequestContextInit) {
    this.id = init.id;
    this.operation = init.operation;
    this.dialect = init.dialect;
    this.clientBody = init.clientBody;
    this.remoteAddress = init.remoteAddress;
    this.headers = init.headers;
    this.signal = init.signal;
    this.startedAt = init.startedAt;
    this.request = init.request;
    this.model = init.request.model;
    const streamed = "stream" in init.request && init.request.stream === true;
    this.stream = streamed && init.operation !== "embeddings";
    const options = (init.request as { stream_options?: { include_usage?: boolean } | null }).stream_options;
    this.streamUsageRequested = this.stream && options?.include_usage === true;
  }
}
