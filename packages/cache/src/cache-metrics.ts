import type { Counter, Meter } from "@opentelemetry/api";
import type { Usage } from "@switchyard/core";
import type { CacheResult, CacheServedBy } from "./cache-outcome.js";

/** Metric names, kept as local constants (OpenTelemetry style). */
export const CACHE_METRICS = Object.freeze({
  /**
   * Counter: requests the cache looked at, by `switchyard.cache.result` (`hit`, `miss`, `bypass`); hits
   * also by `switchyard.cache.match` (`exact`, `semantic`).
   */
  requests: "switchyard.cache.requests",
  /** Counter: requests answered by sharing an identical request's upstream call (coalesced followers). */
  coalesced: "switchyard.cache.coalesced",
  /** Counter: answers written to the store. */
  stored: "switchyard.cache.stored",
  /** Counter: tokens not spent upstream thanks to hits and coalescing, by `gen_ai.token.type`. */
  savedTokens: "switchyard.cache.saved_tokens",
  /** Counter, USD: what the answers served from cache or coalescing cost when first generated. */
  costSaved: "switchyard.cache.cost_saved",
  /** Counter: store calls that failed (treated as misses / skipped writes), by `switchyard.cache.operation`. */
  storeErrors: "switchyard.cache.store.errors",
});

/** The cache's counters since it was created, also exported as metrics. */
export interface CacheStats {
  readonly hits: number;
  /** Of `hits`, those found by meaning. */
  readonly semanticHits: number;
  readonly misses: number;
  readonly bypasses: number;
  /** Requests that shared another's upstream call. */
  readonly coalesced: number;
  /** Answers written to the store. */
  readonly stored: number;
  readonly savedInputTokens: number;
  readonly savedOutputTokens: number;
  /** USD: the first-generation cost of every answer served from cache or coalescing (priced models only). */
  readonly cachedCostSaved: number;
  readonly storeErrors: number;
}

type MutableStats = { -readonly [Field in keyof CacheStats]: CacheStats[Field] };

/** Counts in memory and in OpenTelemetry instruments (a no-op until an SDK is registered). */
export class CacheMetrics {
  private readonly counts: MutableStats = {
    hits: 0,
    semanticHits: 0,
    misses: 0,
    bypasses: 0,
    coalesced: 0,
    stored: 0,
    savedInputTokens: 0,
    savedOutputTokens: 0,
    cachedCostSaved: 0,
    storeErrors: 0,
  };
  private readonly requests: Counter;
  private readonly coalescedCounter: Counter;
  private readonly storedCounter: Counter;
  private readonly savedTokens: Counter;
  private readonly costSaved: Counter;
  private readonly storeErrors: Counter;

  constructor(meter: Meter) {
    this.requests = meter.createCounter(CACHE_METRICS.requests, {
      description: "Requests the response cache looked at, by result.",
    });
    this.coalescedCounter = meter.createCounter(CACHE_METRICS.coalesced, {
      description: "Requests answered by sharing an identical in-flight request's upstream call.",
    });
    this.storedCounter = meter.createCounter(CACHE_METRICS.stored, {
      description: "Answers written to the cache store.",
    });
    this.savedTokens = meter.createCounter(CACHE_METRICS.savedTokens, {
      description: "Tokens not spent upstream thanks to cache hits and coalescing.",
      unit: "{token}",
    });
    this.costSaved = meter.createCounter(CACHE_METRICS.costSaved, {
      description: "First-generation cost of the answers served from cache or coalescing.",
      unit: "USD",
    });
    this.storeErrors = meter.createCounter(CACHE_METRICS.storeErrors, {
      description: "Cache store calls that failed.",
    });
  }

  snapshot(): CacheStats {
    return { ...this.counts };
  }

  result(result: CacheResult, servedBy?: CacheServedBy): void {
    if (result === "hit") {
      this.counts.hits++;
      if (servedBy === "semantic") this.counts.semanticHits++;
      this.requests.add(1, {
        "switchyard.cache.result": result,
        "switchyard.cache.match": servedBy === "semantic" ? "semantic" : "exact",
      });
      return;
    }
    if (result === "miss") this.counts.misses++;
    else this.counts.bypasses++;
    this.requests.add(1, { "switchyard.cache.result": result });
  }

  coalesced(): void {
    this.counts.coalesced++;
    this.coalescedCounter.add(1);
  }

  stored(): void {
    this.counts.stored++;
    this.storedCounter.add(1);
  }

  /** An answer served without an upstream call of its own. */
  saved(usage: Usage | undefined, cost: number | undefined): void {
    if (usage) {
      const input = usage.prompt_tokens;
      const output = usage.completion_tokens ?? Math.max(0, usage.total_tokens - usage.prompt_tokens);
      this.counts.savedInputTokens += input;
      this.counts.savedOutputTokens += output;
      if (input > 0) this.savedTokens.add(input, { "gen_ai.token.type": "input" });
      if (output > 0) this.savedTokens.add(output, { "gen_ai.token.type": "output" });
    }
    if (cost !== undefined && cost > 0) {
      this.counts.cachedCostSaved += cost;
      this.costSaved.add(cost);
    }
  }

  storeError(operation: "get" | "set"): void {
    this.counts.storeErrors++;
    this.storeErrors.add(1, { "switchyard.cache.operation": operation });
  }
}
