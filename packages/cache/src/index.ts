export { type CacheDirectives, parseCacheDirectives, SEMANTIC_CACHE_HEADER } from "./cache-control.js";
export {
  type CacheKeyInput,
  cacheKey,
  canonicalJson,
  DEFAULT_IGNORED_FIELDS,
  type SemanticParts,
  semanticParts,
} from "./cache-key.js";
export { CACHE_METRICS, type CacheStats } from "./cache-metrics.js";
export {
  type CacheOutcome,
  type CacheResult,
  type CacheServedBy,
  cacheOutcome,
  INTERNAL_REQUEST_HEADER,
  internalRequestPurpose,
  isCacheHit,
  isInternalRequest,
} from "./cache-outcome.js";
export {
  CACHE_SIMILARITY_HEADER,
  CACHE_STATUS_HEADER,
  type CachePlugin,
  type CachePluginOptions,
  type CacheRouteOptions,
  COALESCED_HEADER,
  createCachePlugin,
  type SemanticCacheOptions,
} from "./cache-plugin.js";
export { type CacheEntry, type CacheStore, decodeEntry, encodeEntry, entrySize } from "./cache-store.js";
export {
  apportion,
  createEmbeddingsBatchingPlugin,
  EMBEDDINGS_BATCH_HEADER,
  EMBEDDINGS_BATCHING_METRICS,
  type EmbeddingsBatchingOptions,
  type EmbeddingsBatchingPlugin,
  type EmbeddingsBatchingStats,
} from "./embeddings-batching-plugin.js";
export {
  createMemoryCacheStore,
  type MemoryCacheStore,
  type MemoryCacheStoreOptions,
} from "./memory-store.js";
export { normalise, SemanticIndex, type SemanticMatch } from "./semantic-index.js";
export { StreamRecorder } from "./stream-recorder.js";
