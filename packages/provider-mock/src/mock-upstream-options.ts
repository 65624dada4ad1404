import type { MockFaultConfig } from "./mock-faults.js";
import type { MockReplyFunction } from "./mock-responses.js";

/** Options of {@link createMockUpstream}. */
export interface MockUpstreamOptions {
  /**
   * Interface to listen on.
   * @default "127.0.0.1"
   */
  readonly host?: string;
  /**
   * Port to listen on; 0 picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * Delay before any response's headers, in milliseconds (network and queueing time).
   * @default 0
   */
  readonly latencyMs?: number;
  /**
   * Delay between a stream's headers and its first event, in milliseconds (time to first token).
   * @default 0
   */
  readonly firstByteDelayMs?: number;
  /**
   * Pace of streamed content in tokens per second; 0 streams as fast as the client reads.
   * @default 0
   */
  readonly tokensPerSecond?: number;
  /**
   * Tokens per streamed content chunk.
   * @default 1
   */
  readonly chunkTokens?: number;
  /**
   * Length of generated replies, in tokens, before `max_tokens` and `stop`.
   * @default 16
   */
  readonly replyTokens?: number;
  /**
   * Replaces the generated reply text of chat and legacy completions.
   * @default undefined (generated text)
   */
  readonly reply?: MockReplyFunction;
  /**
   * Model ids listed by `GET /v1/models`. Completion routes accept any model id and echo it.
   * @default ["mock-1", "mock-1-mini"]
   */
  readonly models?: readonly string[];
  /**
   * API key required as `Authorization: Bearer <apiKey>`; no authentication when unset.
   * @default undefined
   */
  readonly apiKey?: string;
  /**
   * Whether to keep the last 1000 requests in `requests`.
   * @default true
   */
  readonly record?: boolean;
  /**
   * Standing fault rate applied to completion and embedding requests.
   * @default undefined (no faults besides queued ones)
   */
  readonly faults?: MockFaultConfig;
}

/** {@link MockUpstreamOptions} with defaults applied, checked and frozen. */
export interface ResolvedMockUpstreamOptions {
  readonly host: string;
  readonly port: number;
  readonly latencyMs: number;
  readonly firstByteDelayMs: number;
  readonly tokensPerSecond: number;
  readonly chunkTokens: number;
  readonly replyTokens: number;
  readonly reply: MockReplyFunction | undefined;
  readonly models: readonly string[];
  readonly apiKey: string | undefined;
  readonly record: boolean;
  readonly faults: MockFaultConfig | undefined;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isFinite(resolved) || resolved < 0)
    throw new RangeError(`${name} must be 0 or more, got ${resolved}`);
  return resolved;
}

function integerInRange(
  name: string,
  value: number | undefined,
  fallback: number,
  minimum: number,
  maximum: number,
) {
  const resolved = value ?? fallback;
  if (!Number.isInteger(resolved) || resolved < minimum || resolved > maximum) {
    throw new RangeError(`${name} must be an integer from ${minimum} to ${maximum}, got ${resolved}`);
  }
  return resolved;
}

/**
 * Applies defaults to the options and checks them once, so a bad option fails at start-up rather than on the
 * first request. Fault settings are checked by the fault source.
 *
 * @param options - The caller's options.
 * @returns The resolved, frozen options.
 * @throws RangeError or TypeError when an option is out of range or of the wrong type.
 */
export function resolveMockUpstreamOptions(options: MockUpstreamOptions = {}): ResolvedMockUpstreamOptions {
  const models = options.models ?? ["mock-1", "mock-1-mini"];
  if (!models.every((model) => typeof model === "string" && model !== "")) {
    throw new TypeError("models must be non-empty strings");
  }
  if (options.apiKey !== undefined && (typeof options.apiKey !== "string" || options.apiKey === "")) {
    throw new TypeError("apiKey must be a non-empty string");
  }
  if (options.reply !== undefined && typeof options.reply !== "function") {
    throw new TypeError("reply must be a function");
  }
  return Object.freeze({
    host: options.host ?? "127.0.0.1",
    port: integerInRange("port", options.port, 0, 0, 65_535),
    latencyMs: nonNegative("latencyMs", options.latencyMs, 0),
    firstByteDelayMs: nonNegative("firstByteDelayMs", options.firstByteDelayMs, 0),
    tokensPerSecond: nonNegative("tokensPerSecond", options.tokensPerSecond, 0),
    chunkTokens: integerInRange("chunkTokens", options.chunkTokens, 1, 1, 1_000_000),
    replyTokens: integerInRange("replyTokens", options.replyTokens, 16, 0, 1_000_000),
    reply: options.reply,
    models: Object.freeze([...models]),
    apiKey: options.apiKey,
    record: options.record !== false,
    faults: options.faults,
  });
}
