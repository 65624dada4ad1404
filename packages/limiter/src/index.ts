export {
  algorithms,
  type ConcurrencyState,
  concurrency,
  type FixedWindowState,
  fixedWindow,
  type GcraState,
  gcra,
  type SlidingWindowState,
  slidingWindow,
  type TokenBucketState,
  tokenBucket,
} from "./algorithms/index.js";
export {
  type ClientAddressOptions,
  type ClientAddressResolver,
  createClientAddressResolver,
  NAMED_PROXY_RANGES,
  normaliseAddress,
} from "./client-address.js";
export {
  type AlgorithmAdjustment,
  type AlgorithmDecision,
  type AlgorithmImplementation,
  type AlgorithmKind,
  algorithmKinds,
  CONCURRENCY_RETRY_MS,
  GUARD_MS,
  GUARD_UNITS,
  type LimitAlgorithm,
  type LimitState,
} from "./limit-algorithm.js";
export {
  type LimitKey,
  type LimitKeyPart,
  type LimitOptions,
  type LimitPeriod,
  type LimitUnit,
  limitOptionsSchema,
} from "./limit-options.js";
export type { Clock, ConsumeResult, LimitAdjustment, LimitCheck, LimiterStore } from "./limiter-store.js";
export { createMemoryStore, type MemoryStore, type MemoryStoreOptions } from "./memory-store.js";
export {
  type AppliedLimitState,
  formatResetDuration,
  type RateLimitHeaderFormat,
  rateLimitHeaders,
} from "./rate-limit-headers.js";
export {
  actualTokens,
  createRateLimitPlugin,
  RATE_LIMIT_METRICS,
  type RateLimitPlugin,
  type RateLimitPluginOptions,
} from "./rate-limit-plugin.js";
export { getRateLimitReservation, type RateLimitReservation } from "./reservation.js";
export {
  createTokenEstimator,
  IMAGE_PART_TOKENS,
  LOW_DETAIL_IMAGE_PART_TOKENS,
  OTHER_PART_TOKENS,
  type TokenEstimate,
  type TokenEstimator,
  type TokenEstimatorOptions,
} from "./token-estimate.js";
export {
  type EncodingName,
  encodingForModel,
  estimateTokens,
  loadTokenCounter,
  type TokenCounter,
} from "./tokenizer.js";
export {
  createUpstreamCapPlugin,
  UPSTREAM_CAP_METRICS,
  type UpstreamCapOptions,
} from "./upstream-cap-plugin.js";
