import type { AlgorithmImplementation, AlgorithmKind } from "../limit-algorithm.js";
import { concurrency } from "./concurrency.js";
import { fixedWindow } from "./fixed-window.js";
import { gcra } from "./gcra.js";
import { slidingWindow } from "./sliding-window.js";
import { tokenBucket } from "./token-bucket.js";

export { type ConcurrencyState, concurrency } from "./concurrency.js";
export { type FixedWindowState, fixedWindow } from "./fixed-window.js";
export { type GcraState, gcra } from "./gcra.js";
export { type SlidingWindowState, slidingWindow } from "./sliding-window.js";
export { type TokenBucketState, tokenBucket } from "./token-bucket.js";

/** Every algorithm by kind. Their states differ; a store keeps each limit's state opaque. */
export const algorithms: Readonly<Record<AlgorithmKind, AlgorithmImplementation<unknown>>> = Object.freeze({
  "fixed-window": fixedWindow as AlgorithmImplementation<unknown>,
  "sliding-window": slidingWindow as AlgorithmImplementation<unknown>,
  "token-bucket": tokenBucket as AlgorithmImplementation<unknown>,
  gcra: gcra as AlgorithmImplementation<unknown>,
  concurrency: concurrency as AlgorithmImplementation<unknown>,
});
