import { type Meter, metrics } from "@opentelemetry/api";
import {
  type Gateway,
  type GatewayHttpResponse,
  HookStage,
  type Logger,
  type Operation,
  type Plugin,
  parseOptions,
  priceOf,
  type RequestContext,
  SSE_HEADERS,
  SwitchyardError,
  type Usage,
} from "@switchyard/core";
import { z } from "zod";
import { type CacheDirectives, parseCacheDirectives } from "./cache-control.js";
import { type CacheKeyInput, cacheKey, DEFAULT_IGNORED_FIELDS, semanticParts } from "./cache-key.js";
import { CacheMetrics, type CacheStats } from "./cache-metrics.js";
import {
  type CacheResult,
  type CacheServedBy,
  DEFAULT_FORWARDED_HEADERS,
  forwardedHeaders,
  isInternalRequest,
  setCacheOutcome,
} from "./cache-outcome.js";
import { type CacheEntry, type CacheStore, entrySize } from "./cache-store.js";
import { type Flight, FlightRegistry, type FlightStart } from "./flight.js";
import { readAll, untilAborted } from "./internal-util.js";
import { createMemoryCacheStore } from "./memory-store.js";
import { normalise, SemanticIndex } from "./semantic-index.js";
import { StreamRecorder } from "./stream-recorder.js";

const PLUGIN_NAME = "switchyard:cache";

/** Response header saying what the cache did: `hit`, `miss` or `bypass`. */
export const CACHE_STATUS_HEADER = "x-switchyard-cache";
/** Response header on semantic hits: the cosine similarity of the match. */
export const CACHE_SIMILARITY_HEADER = "x-switchyard-cache-similarity";
/** Response header on requests answered by sharing an identical request's upstream call. */
export const COALESCED_HEADER = "x-switchyard-coalesced";

/** Cache settings of one route (the model or alias the client asks for). */
export interface CacheRouteOptions {
  /** How long answers of this route stay cached. @default the plugin's `ttlMs` */
  ttlMs?: number;
  /** `false` never caches (nor coalesces) this route. @default true */
  enabled?: boolean;
}

/** Options of the semantic cache (opt-in). */
export interface SemanticCacheOptions {
  /** The embedding model, as clients of this gateway would name it (a model or an alias it serves). */
  model: string;
  /**
   * Cosine similarity at or above which a cached answer is served for a different prompt. Lower serves
   * more hits and more wrong answers. @default 0.95
   */
  threshold?: number;
  /** Prompts kept in the in-memory vector index (least recently matched out first). @default 10000 */
  maxEntries?: number;
  /** Give up on the embedding call after this long and treat the request as a miss. @default 2000 */
  timeoutMs?: number;
  /**
   * Request headers copied to the embedding call, so it authenticates as the request it serves.
   * @default ["authorization", "x-api-key", "api-key"]
   */
  forwardHeaders?: readonly string[];
}

/** Options of {@link createCachePlugin}. */
export interface CachePluginOptions {
  /** Where answers are kept. Share a Redis store (`@switchyard/cache/redis`) between replicas. @default createMemoryCacheStore() */
  store?: CacheStore;
  /** How long an answer stays cached, in ms. @default 3600000 (1 hour) */
  ttlMs?: number;
  /** Per-route settings, by the model name clients send (a model id or an alias). @default {} */
  routes?: Readonly<Record<string, CacheRouteOptions>>;
  /** Operations cached. @default ["chat", "completions", "embeddings"] */
  operations?: readonly Operation[];
  /**
   * Who shares an entry: `"principal"` (each caller its own; anonymous callers share one), `"team"` (a
   * principal's team, else the principal), or `"shared"` (everyone).
   * @default "principal"
   */
  scope?: "principal" | "team" | "shared";
  /** Request fields left out of the key. @default ["user", "metadata", "store", "safety_identifier", "prompt_cache_key"] */
  ignoredFields?: readonly string[];
  /** Part of every key: change it to start afresh (e.g. after changing what a route alias points to). @default "v1" */
  namespace?: string;
  /** Let identical requests in flight at the same time share one upstream call. @default true */
  coalesce?: boolean;
  /**
   * A coalesced follower of a stream larger than the store's `maxEntryBytes` is cut off (with a
   * stream-cut error) when it falls this many bytes behind the leader: the bytes kept for slow followers
   * stay bounded. Smaller streams are kept whole anyway. @default 1048576 (1 MiB)
   */
  maxFollowerLagBytes?: number;
  /**
   * Charge answers served from the cache (or coalesced) like fresh ones: `context.usage` and `context.cost`
   * are the cached answer's, so the rate limiter's token limits and spend count them. When `false` they
   * report zero usage and zero cost, since no upstream tokens were spent (the cached usage is still in the
   * answer's body, in `cacheOutcome(context).usage` and in the saved-tokens metric).
   * @default false
   */
  chargeHits?: boolean;
  /** The semantic cache (opt-in). @default undefined (off) */
  semantic?: SemanticCacheOptions;
  /** Further say which requests may be cached (and coalesced). @default every request */
  shouldCache?: (context: RequestContext) => boolean;
  /** Where metrics go. @default metrics.getMeter("@switchyard/cache") (a no-op without an SDK) */
  meter?: Meter;
  /** The `respond` and `finalizeResponse` taps' stage. @default HookStage.EARLY (-100) */
  stage?: number;
  /** Clock for `Age` and `Cache-Control: max-age`, in ms. @default Date.now */
  now?: () => number;
}

/** The cache plugin, with its store and counters. */
export interface CachePlugin extends Plugin {
  readonly store: CacheStore;
  /** Counters since creation (also exported as OpenTelemetry metrics). */
  stats(): CacheStats;
  /** Flights open to followers right now (for tests and diagnostics). */
  readonly openFlights: number;
}

const fn = <T>() => z.custom<T>((value) => typeof value === "function", "Expected a function");

const optionsSchema = z
  .object({
    store: z
      .custom<CacheStore>(
        (value) =>
          typeof value === "object" &&
          value !== null &&
          typeof (value as CacheStore).get === "function" &&
          typeof (value as CacheStore).set === "function",
        "Expected a CacheStore (get and set functions)",
      )
      .optional(),
    ttlMs: z.number().int().positive().default(3_600_000),
    routes: z
      .record(
        z.string(),
        z.object({ ttlMs: z.number().int().positive().optional(), enabled: z.boolean().optional() }).strict(),
      )
      .default({}),
    operations: z
      .array(z.enum(["chat", "completions", "embeddings"]))
      .default(["chat", "completions", "embeddings"]),
    scope: z.enum(["principal", "team", "shared"]).default("principal"),
    ignoredFields: z.array(z.string()).default([...DEFAULT_IGNORED_FIELDS]),
    namespace: z.string().default("v1"),
    coalesce: z.boolean().default(true),
    maxFollowerLagBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    chargeHits: z.boolean().default(false),
    semantic: z
      .object({
        model: z.string().min(1),
        threshold: z.number().gt(0).max(1).default(0.95),
        maxEntries: z.number().int().positive().default(10_000),
        timeoutMs: z.number().int().positive().default(2_000),
        forwardHeaders: z
          .array(z.string().transform((name) => name.toLowerCase()))
          .default([...DEFAULT_FORWARDED_HEADERS]),
      })
      .strict()
      .optional(),
    shouldCache: fn<(context: RequestContext) => boolean>().optional(),
    meter: z
      .custom<Meter>((value) => typeof (value as Meter | undefined)?.createCounter === "function")
      .optional(),
    stage: z.number().int().default(HookStage.EARLY),
    now: fn<() => number>().optional(),
  })
  .strict();

/** What the plugin keeps about one request, on `context.locals`. */
interface RequestState {
  readonly key: string;
  readonly ttlMs: number;
  /**
   * Whether the answer is still wanted: stored when it completes well, and given to followers. (A
   * `no-store` request carries no state at all.)
   */
  capture: boolean;
  flight: Flight | undefined;
  recorder: StreamRecorder | undefined;
  body: Uint8Array | undefined;
  contentType: string | undefined;
  semantic: { readonly partition: string; readonly vector: Float32Array } | undefined;
  /** Set by `requestCompleted` for a stream that ended well: what to record with it. */
  streamCompleted: { readonly usage: Usage | undefined; readonly cost: number | undefined } | undefined;
  /** OpenAI streams end with `data: [DONE]`: checked before one is stored. */
  readonly openaiDialect: boolean;
}

const kState = Symbol("switchyard.cache.request-state");
const STORE_ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * The response cache: answers identical requests from a store (exact match on a hash of the canonical
 * request), optionally by meaning (semantic), and lets identical requests in flight at the same moment
 * share one upstream call (coalescing). Streams are stored as the exact SSE bytes the first client got,
 * once they completed well, and replayed byte for byte. See docs/guides/caching.md.
 */
export function createCachePlugin(options: CachePluginOptions = {}): CachePlugin {
  const settings = parseOptions(optionsSchema, options, "cache");
  const store = settings.store ?? createMemoryCacheStore();
  const now = settings.now ?? Date.now;
  const operations = new Set<Operation>(settings.operations);
  const ignoredFields = new Set(settings.ignoredFields);
  const meter = settings.meter ?? metrics.getMeter("@switchyard/cache");
  const counters = new CacheMetrics(meter);
  const flights = new FlightRegistry();
  const semantic = settings.semantic;
  const index = semantic ? new SemanticIndex(semantic.maxEntries) : undefined;
  const maxEntryBytes = store.maxEntryBytes;
  let gateway: Gateway | undefined;
  let logger: Logger | undefined;
  let lastStoreErrorLogAt = Number.NEGATIVE_INFINITY;

  const storeFailed = (operation: "get" | "set", error: unknown) => {
    counters.storeError(operation);
    const at = Date.now();
    if (at - lastStoreErrorLogAt < STORE_ERROR_LOG_INTERVAL_MS) return;
    lastStoreErrorLogAt = at;
    logger?.warn({ err: error, operation }, "cache store call failed: treated as a miss / skipped write");
  };

  const ttlFor = (context: RequestContext): number | undefined => {
    if (!operations.has(context.operation)) return undefined;
    const route = settings.routes[context.model];
    if (route?.enabled === false) return undefined;
    if (settings.shouldCache && !settings.shouldCache(context)) return undefined;
    return route?.ttlMs ?? settings.ttlMs;
  };

  const scopeOf = (context: RequestContext): string => {
    if (settings.scope === "shared") return "*";
    const principal = context.principal;
    if (settings.scope === "team" && principal?.team !== undefined) return `team:${principal.team}`;
    return `principal:${principal?.id ?? ""}`;
  };

  const record = (context: RequestContext, result: CacheResult) => {
    context.responseHeaders[CACHE_STATUS_HEADER] = result;
    counters.result(result);
    setCacheOutcome(context, { result });
  };

  /** Marks a request answered without an upstream call of its own, and sets what it is charged. */
  const markServed = (
    context: RequestContext,
    result: CacheResult,
    servedBy: CacheServedBy,
    usage: Usage | undefined,
    cost: number | undefined,
    similarity?: number,
  ) => {
    setCacheOutcome(context, {
      result,
      servedBy,
      ...(usage ? { usage } : {}),
      ...(cost !== undefined ? { savedCost: cost } : {}),
      ...(similarity !== undefined ? { similarity } : {}),
    });
    if (settings.chargeHits) {
      context.usage = usage;
      context.cost = cost;
    } else {
      // No upstream tokens were spent: a rate limiter settles the reservation to nothing.
      context.usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
      context.cost = 0;
    }
  };

  const lookup = async (
    key: string,
    context: RequestContext,
    directives: CacheDirectives,
  ): Promise<CacheEntry | undefined> => {
    let entry: CacheEntry | undefined;
    try {
      entry = await store.get(key);
    } catch (error) {
      storeFailed("get", error);
      return undefined;
    }
    if (entry === undefined) return undefined;
    if (directives.maxAgeMs !== undefined && now() - entry.storedAt > directives.maxAgeMs) return undefined;
    // Keys differ for streamed and complete requests; this guards against a foreign writer.
    if (isEventStream(entry.contentType) !== context.stream) return undefined;
    return entry;
  };

  const hit = (
    context: RequestContext,
    state: RequestState,
    entry: CacheEntry,
    servedBy: "exact" | "semantic",
    similarity?: number,
  ): GatewayHttpResponse => {
    state.capture = false;
    context.responseHeaders[CACHE_STATUS_HEADER] = "hit";
    context.responseHeaders.age = String(Math.max(0, Math.floor((now() - entry.storedAt) / 1000)));
    if (similarity !== undefined) context.responseHeaders[CACHE_SIMILARITY_HEADER] = similarity.toFixed(4);
    counters.result("hit", servedBy);
    counters.saved(entry.usage, entry.cost);
    markServed(context, "hit", servedBy, entry.usage, entry.cost, similarity);
    if (context.stream) {
      return {
        status: 200,
        headers: { ...SSE_HEADERS, "content-type": entry.contentType },
        body: replay(entry.body),
      };
    }
    return { status: 200, headers: { "content-type": entry.contentType }, body: entry.body };
  };

  const follow = async (
    context: RequestContext,
    state: RequestState,
    first: Flight,
  ): Promise<GatewayHttpResponse | undefined> => {
    // Followers never store: the leader does.
    state.capture = false;
    let flight = first;
    for (;;) {
      flight.followers++;
      const start: FlightStart = await untilAborted(flight.started, context.signal);
      if (start.kind === "abandoned") {
        // The leader's client left before an answer: the first follower to get here leads, the rest follow it.
        const next = flights.get(state.key);
        if (next !== undefined && next !== flight) {
          flight = next;
          continue;
        }
        state.capture = true;
        state.flight = flights.lead(state.key);
        record(context, "miss");
        return undefined;
      }
      record(context, "miss");
      if (start.kind === "failed") throw start.error;
      if (start.kind === "answer") {
        counters.coalesced();
        counters.saved(start.entry.usage, start.entry.cost);
        markServed(context, "miss", "coalesced", start.entry.usage, start.entry.cost);
        context.responseHeaders[COALESCED_HEADER] = "true";
        return { status: 200, headers: { "content-type": start.entry.contentType }, body: start.entry.body };
      }
      const recorder = start.recorder;
      if (!recorder.joinable) {
        // Too large to share: make this request's own call.
        state.capture = true;
        return undefined;
      }
      counters.coalesced();
      markServed(context, "miss", "coalesced", undefined, undefined);
      context.responseHeaders[COALESCED_HEADER] = "true";
      const body = async function* (): AsyncGenerator<Uint8Array> {
        yield* recorder.follow(context.signal);
        if (context.signal.aborted) return;
        counters.saved(recorder.usage, recorder.cost);
        markServed(context, "miss", "coalesced", recorder.usage, recorder.cost);
      };
      return { status: 200, headers: { ...SSE_HEADERS, "content-type": start.contentType }, body: body() };
    }
  };

  const embed = async (context: RequestContext, text: string): Promise<Float32Array | undefined> => {
    if (!semantic || !gateway) return undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), semantic.timeoutMs);
    const onAbort = () => controller.abort();
    context.signal.addEventListener("abort", onAbort, { once: true });
    try {
      const response = await gateway.handle({
        method: "POST",
        path: "/v1/embeddings",
        headers: forwardedHeaders(context, semantic.forwardHeaders, "semantic-embedding"),
        body: JSON.stringify({ model: semantic.model, input: text, encoding_format: "float" }),
        signal: controller.signal,
      });
      const payload = await readAll(response.body);
      if (response.status !== 200) {
        logger?.debug({ status: response.status }, "semantic cache: the embedding call failed");
        return undefined;
      }
      const embedding = (JSON.parse(payload) as { data?: Array<{ embedding?: unknown }> }).data?.[0]
        ?.embedding;
      if (!Array.isArray(embedding) || !embedding.every((value) => typeof value === "number"))
        return undefined;
      return normalise(embedding as number[]);
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
      context.signal.removeEventListener("abort", onAbort);
    }
  };

  const respond = async (context: RequestContext): Promise<GatewayHttpResponse | undefined> => {
    if (isInternalRequest(context)) return undefined;
    const ttlMs = ttlFor(context);
    const directives = parseCacheDirectives(context.headers);
    if (ttlMs === undefined || directives.noStore) {
      record(context, "bypass");
      return undefined;
    }
    const keyInput: CacheKeyInput = {
      namespace: settings.namespace,
      dialect: context.dialect,
      operation: context.operation,
      scope: scopeOf(context),
      request: keyedRequest(context),
      ignoredFields,
    };
    const key = cacheKey(keyInput);
    const state: RequestState = {
      key,
      ttlMs,
      capture: true,
      flight: undefined,
      recorder: undefined,
      body: undefined,
      contentType: undefined,
      semantic: undefined,
      streamCompleted: undefined,
      openaiDialect: context.dialect === "openai",
    };
    context.locals[kState] = state;
    if (directives.noCache) {
      // A refresh: no lookup and no sharing, but the fresh answer replaces the cached one.
      record(context, "bypass");
      return undefined;
    }
    let flight = settings.coalesce ? flights.get(key) : undefined;
    if (flight) return follow(context, state, flight);
    const entry = await lookup(key, context, directives);
    if (entry) return hit(context, state, entry, "exact");
    flight = settings.coalesce ? flights.get(key) : undefined;
    if (flight) return follow(context, state, flight);
    // Lead before the semantic lookup, so identical requests arriving during the embedding call wait for
    // this one instead of embedding too.
    if (settings.coalesce) state.flight = flights.lead(key);
    // Semantic matching reads the canonical prompt; it is for OpenAI-dialect clients only (another
    // dialect's body holds fields the canonical form drops, and equal prompts could differ in those).
    if (index && semantic && !directives.semanticOff && context.dialect === "openai") {
      const parts = semanticParts(keyInput);
      const vector = parts ? await embed(context, parts.text) : undefined;
      if (parts && vector) {
        state.semantic = { partition: parts.partition, vector };
        const match = index.search(parts.partition, vector, semantic.threshold);
        const similar = match ? await lookup(match.key, context, directives) : undefined;
        if (match && similar) {
          shareWithFollowers(context, state, similar);
          return hit(context, state, similar, "semantic", match.similarity);
        }
        if (match) index.delete(match.key);
      }
    }
    record(context, "miss");
    return undefined;
  };

  /** Gives the followers of a request answered from the cache the same answer. */
  const shareWithFollowers = (context: RequestContext, state: RequestState, entry: CacheEntry) => {
    const flight = state.flight;
    if (flight === undefined) return;
    state.flight = undefined;
    flights.close(flight);
    if (!context.stream) {
      flight.start({ kind: "answer", entry });
      return;
    }
    const recorder = new StreamRecorder(Number.POSITIVE_INFINITY);
    recorder.append(entry.body);
    recorder.finish(entry.usage, entry.cost);
    flight.start({ kind: "stream", recorder, contentType: entry.contentType });
  };

  const costOf = (context: RequestContext): number | undefined => {
    if (context.cost !== undefined) return context.cost;
    const target = context.attempts.at(-1)?.target;
    if (!gateway || !target || !context.usage) return undefined;
    return priceOf(gateway.modelInfo(target.provider, target.model), context.usage);
  };

  const abandon = (state: RequestState) => {
    state.capture = false;
    if (state.flight) {
      flights.close(state.flight);
      state.flight.start({ kind: "abandoned" });
    }
  };

  const finalizeResponse = (response: GatewayHttpResponse, context: RequestContext): GatewayHttpResponse => {
    const state = context.locals[kState] as RequestState | undefined;
    if (!state?.capture) return response;
    const body = response.body;
    if (response.status !== 200 || body === null) {
      abandon(state);
      return response;
    }
    if (typeof body === "object" && Symbol.asyncIterator in body) {
      const recorder = new StreamRecorder(maxEntryBytes, settings.maxFollowerLagBytes);
      const contentType = response.headers["content-type"] ?? SSE_HEADERS["content-type"] ?? "";
      state.recorder = recorder;
      state.contentType = contentType;
      state.flight?.start({ kind: "stream", recorder, contentType });
      return { ...response, body: tee(body, state, recorder, context) };
    }
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    const contentType = response.headers["content-type"] ?? "application/json";
    state.body = bytes;
    state.contentType = contentType;
    if (state.flight) {
      flights.close(state.flight);
      state.flight.start({
        kind: "answer",
        entry: { body: bytes, contentType, usage: context.usage, cost: costOf(context), storedAt: now() },
      });
    }
    return response;
  };

  const write = (state: RequestState, entry: CacheEntry) => {
    if (entrySize(entry) > maxEntryBytes) return;
    store.set(state.key, entry, state.ttlMs).then(
      () => {
        counters.stored();
        if (index && state.semantic) index.add(state.key, state.semantic.partition, state.semantic.vector);
      },
      (error: unknown) => storeFailed("set", error),
    );
  };

  /**
   * Relays the leader's stream while recording it. Each chunk reaches the recording one chunk late: a
   * stream that fails ends with the gateway's error event, and only its end tells which chunk that was.
   * Followers get the error itself (in their own answer), and a failed stream is never stored.
   */
  const tee = async function* (
    source: AsyncIterable<Uint8Array>,
    state: RequestState,
    recorder: StreamRecorder,
    context: RequestContext,
  ): AsyncGenerator<Uint8Array> {
    // A stream from an upstream attempt finishes the request (requestCompleted / requestFailed) in its
    // own `finally`, before its end reaches this loop. A stream another `respond` tap made up is finished
    // by the gateway after this relay: reaching its end without an error is its success.
    const early = context.attempts.length === 0;
    let held: Uint8Array | undefined;
    let ended = false;
    try {
      for await (const chunk of source) {
        if (held) recorder.append(held);
        held = chunk;
        yield chunk;
      }
      ended = true;
    } finally {
      const completion =
        state.streamCompleted ??
        (early && ended && !context.signal.aborted
          ? { usage: context.usage, cost: costOf(context) }
          : undefined);
      if (state.flight) flights.close(state.flight);
      if (ended && completion && !recorder.done) {
        if (held) recorder.append(held);
        recorder.finish(completion.usage, completion.cost);
        const bytes = recorder.bytes();
        // Only a whole stream; an OpenAI one must also end with [DONE].
        if (bytes && (!state.openaiDialect || endsWithDone(bytes))) {
          const contentType = state.contentType ?? SSE_HEADERS["content-type"] ?? "";
          write(state, {
            body: bytes,
            contentType,
            usage: completion.usage,
            cost: completion.cost,
            storedAt: now(),
          });
        }
      } else if (!recorder.done) {
        recorder.fail(sharedStreamCut());
      }
    }
  };

  const completed = (context: RequestContext) => {
    const state = context.locals[kState] as RequestState | undefined;
    if (!state?.capture) return;
    state.capture = false;
    const cost = costOf(context);
    const contentType = state.contentType ?? "application/json";
    if (state.recorder) {
      // The relay (`tee`) records the last chunk and stores the stream once it has seen the end.
      state.streamCompleted = { usage: context.usage, cost };
      return;
    }
    if (state.body) {
      write(state, { body: state.body, contentType, usage: context.usage, cost, storedAt: now() });
    }
  };

  const failed = (context: RequestContext, error: SwitchyardError) => {
    const state = context.locals[kState] as RequestState | undefined;
    if (!state) return;
    state.capture = false;
    if (state.recorder) {
      state.recorder.fail(error.code === "SWY_ERR_CLIENT_CLOSED" ? sharedStreamCut() : error);
    }
    if (state.flight) {
      flights.close(state.flight);
      state.flight.start(
        error.code === "SWY_ERR_CLIENT_CLOSED" ? { kind: "abandoned" } : { kind: "failed", error },
      );
    }
  };

  return {
    name: PLUGIN_NAME,
    store,
    stats: () => counters.snapshot(),
    get openFlights() {
      return flights.size;
    },
    apply(target: Gateway) {
      gateway = target;
      logger = target.logger;
      const stage = settings.stage;
      target.hooks.respond.tapPromise({ name: PLUGIN_NAME, stage }, respond);
      target.hooks.finalizeResponse.tap({ name: PLUGIN_NAME, stage }, finalizeResponse);
      target.hooks.requestCompleted.tap(PLUGIN_NAME, completed);
      target.hooks.requestFailed.tap(PLUGIN_NAME, failed);
    },
  };
}

async function* replay(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

function endsWithDone(bytes: Buffer): boolean {
  const tail = bytes.subarray(Math.max(0, bytes.byteLength - 32)).toString("latin1");
  return /(^|\n)data: ?\[DONE\]\s*$/.test(tail);
}

function isEventStream(contentType: string): boolean {
  return contentType.toLowerCase().startsWith("text/event-stream");
}

/** The canonical request (OpenAI dialect), or the client's own body (other dialects). */
function keyedRequest(context: RequestContext): CacheKeyInput["request"] {
  const body = context.clientBody;
  if (context.dialect === "openai" || body === null || typeof body !== "object" || Array.isArray(body))
    return context.request;
  return body as Readonly<Record<string, unknown>>;
}

/** What followers of a stream get when the leader's request was cancelled under them. */
function sharedStreamCut(): SwitchyardError {
  return new SwitchyardError(
    "SWY_ERR_UPSTREAM_STREAM_CUT",
    "The stream this request shared with an identical request was cut: that request was cancelled.",
  );
}
