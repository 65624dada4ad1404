import {
  AsyncParallelHook,
  AsyncSeriesBailHook,
  AsyncSeriesWaterfallHook,
  SyncBailHook,
  SyncWaterfallHook,
} from "tapable";
import type { CanonicalRequest, ChatCompletionChunk } from "./canonical-schemas.js";
import type { CanonicalResponse } from "./canonical-types.js";
import type { Principal, RequestContext, RoutePlan, RouteTarget } from "./context.js";
import type { SwitchyardError } from "./errors.js";
import type { GatewayHttpResponse } from "./http-types.js";
import type { Endpoint } from "./provider.js";

/** Why a `rateLimit` tap refused a request. The gateway answers 429 with it. */
export interface RateLimitRejection {
  /** Sent to the client: say which limit, and when it resets. */
  readonly message: string;
  /** Becomes `Retry-After` (rounded up to whole seconds). */
  readonly retryAfterMs: number;
  /** Extra headers, e.g. `x-ratelimit-*`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The question `selectEndpoint` answers: which of these endpoints serves this attempt? */
export interface EndpointSelection {
  readonly target: RouteTarget;
  /** The target provider's endpoints; pick one. */
  readonly endpoints: readonly Endpoint[];
  /** Endpoints that already failed for this request: prefer others. */
  readonly failed: ReadonlySet<Endpoint>;
}

/** The question `shouldRetry` answers after a failed attempt. */
export interface RetryQuestion {
  readonly error: SwitchyardError;
  /** Attempts made so far on the current target (1 after the first failure). */
  readonly attemptOnTarget: number;
  /** Attempts made so far for the whole request. */
  readonly attemptsTotal: number;
  readonly target: RouteTarget;
  readonly endpoint: Endpoint;
  /** Whether the route has another target to fall back to. */
  readonly hasFallback: boolean;
}

/** What to do after a failed attempt. */
export type RetryDecision =
  | { readonly action: "retry"; readonly delayMs: number }
  | { readonly action: "fallback" }
  | { readonly action: "fail" };

/**
 * Every extension point of the request pipeline, in the order a request meets them. Tap them in a
 * plugin's `apply`; taps after `gateway.start()` are refused. The hook class is the contract: Bail hooks
 * decide (the first tap that returns a value wins), Waterfall hooks transform (each tap gets the previous
 * result), Parallel hooks notify (results ignored, errors logged).
 */
export interface GatewayHooks {
  /** Bail. Return the caller's Principal, or `undefined` to let the next tap try. Throw to reject. */
  readonly authenticate: AsyncSeriesBailHook<[RequestContext], Principal | undefined>;
  /** Bail. Reserve capacity; return a RateLimitRejection to answer 429, `undefined` to admit. */
  readonly rateLimit: AsyncSeriesBailHook<[RequestContext], RateLimitRejection | undefined>;
  /**
   * Bail. Answer without calling any upstream (a cache hit, a coalesced request): return the response, or
   * `undefined` to go on. Runs after `rateLimit`, before `resolveRoute`. Set `context.usage` if known.
   */
  readonly respond: AsyncSeriesBailHook<[RequestContext], GatewayHttpResponse | undefined>;
  /** Waterfall. Build the ordered targets for the requested model; no targets at the end -> 404. */
  readonly resolveRoute: AsyncSeriesWaterfallHook<[RoutePlan, RequestContext]>;
  /** Bail, sync (runs per attempt on the hot path). Pick the endpoint; `undefined` leaves it to the next tap. */
  readonly selectEndpoint: SyncBailHook<[EndpointSelection, RequestContext], Endpoint | undefined>;
  /** Waterfall. Change the canonical request before the provider translates it (runs per attempt). */
  readonly transformRequest: AsyncSeriesWaterfallHook<[CanonicalRequest, RequestContext]>;
  /** Waterfall. Change a complete (non-streamed) canonical response. */
  readonly transformResponse: AsyncSeriesWaterfallHook<[CanonicalResponse, RequestContext]>;
  /** Waterfall, sync (runs per chunk). Change a streamed chunk before it is written. */
  readonly transformStreamChunk: SyncWaterfallHook<[ChatCompletionChunk, RequestContext]>;
  /** Bail, sync. Decide what follows a failed attempt: retry, fall back, or fail. */
  readonly shouldRetry: SyncBailHook<[RetryQuestion, RequestContext], RetryDecision | undefined>;
  /**
   * Waterfall, sync, once per successful request. See (or wrap) the HTTP answer about to be written: e.g.
   * tee a stream's bytes into a cache. A wrapped stream must be read through to the end by the adapter.
   */
  readonly finalizeResponse: SyncWaterfallHook<[GatewayHttpResponse, RequestContext]>;
  /** Parallel. The response (or stream) finished; `context.usage` and `context.cost` are final. */
  readonly requestCompleted: AsyncParallelHook<[RequestContext]>;
  /** Parallel. The request failed (including client disconnects); the error is what the client got. */
  readonly requestFailed: AsyncParallelHook<[RequestContext, SwitchyardError]>;
}

/**
 * Tap stages: `stage` orders taps within a hook (lower runs first). Built-in plugins use these so user
 * plugins can run before or after them. In a Bail hook a later tap runs only when every earlier one
 * returned `undefined`: the built-in retry policy always answers `shouldRetry`, so a policy of your own
 * must tap at a stage below `BUILTIN`.
 */
export const HookStage = Object.freeze({
  /** Runs before the built-ins (e.g. a cache that answers before routing). */
  EARLY: -100,
  /** The built-in router and balancers. */
  BUILTIN: -50,
  /** Where taps go when no stage is given. */
  DEFAULT: 0,
  /** Runs after everything else (e.g. final audits). */
  LATE: 100,
});

/** Creates a fresh, frozen hooks object. `gateway.hooks` is one of these. */
export function createGatewayHooks(): GatewayHooks {
  return Object.freeze({
    authenticate: new AsyncSeriesBailHook<[RequestContext], Principal | undefined>(
      ["context"],
      "authenticate",
    ),
    rateLimit: new AsyncSeriesBailHook<[RequestContext], RateLimitRejection | undefined>(
      ["context"],
      "rateLimit",
    ),
    respond: new AsyncSeriesBailHook<[RequestContext], GatewayHttpResponse | undefined>(
      ["context"],
      "respond",
    ),
    resolveRoute: new AsyncSeriesWaterfallHook<[RoutePlan, RequestContext]>(
      ["plan", "context"],
      "resolveRoute",
    ),
    selectEndpoint: new SyncBailHook<[EndpointSelection, RequestContext], Endpoint | undefined>(
      ["selection", "context"],
      "selectEndpoint",
    ),
    transformRequest: new AsyncSeriesWaterfallHook<[CanonicalRequest, RequestContext]>(
      ["request", "context"],
      "transformRequest",
    ),
    transformResponse: new AsyncSeriesWaterfallHook<[CanonicalResponse, RequestContext]>(
      ["response", "context"],
      "transformResponse",
    ),
    transformStreamChunk: new SyncWaterfallHook<[ChatCompletionChunk, RequestContext]>(
      ["chunk", "context"],
      "transformStreamChunk",
    ),
    shouldRetry: new SyncBailHook<[RetryQuestion, RequestContext], RetryDecision | undefined>(
      ["question", "context"],
      "shouldRetry",
    ),
    finalizeResponse: new SyncWaterfallHook<[GatewayHttpResponse, RequestContext]>(
      ["response", "context"],
      "finalizeResponse",
    ),
    requestCompleted: new AsyncParallelHook<[RequestContext]>(["context"], "requestCompleted"),
    requestFailed: new AsyncParallelHook<[RequestContext, SwitchyardError]>(
      ["context", "error"],
      "requestFailed",
    ),
  });
}
