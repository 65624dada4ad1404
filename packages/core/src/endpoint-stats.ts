import type { CircuitBreaker } from "./circuit-breaker.js";
import type { Endpoint } from "./provider.js";

const SAMPLES = 64;
const EWMA_WEIGHT = 0.2;

/**
 * Live numbers about one endpoint, kept by the pipeline for balancers, breakers and hedging: requests in
 * flight, a latency EWMA, a recent-latency p95 and the failure streak. Latency is time to response
 * headers (and first event, for streams).
 */
export class EndpointStats {
  /** Attempts running now (streams count until they end). */
  inFlight = 0;
  /** Exponentially weighted moving average of latency in ms; undefined before the first sample. */
  ewmaMs: number | undefined;
  /** Failures in a row since the last success. */
  consecutiveFailures = 0;
  /** The endpoint's circuit breaker, when the breaker plugin is installed. */
  breaker: CircuitBreaker | undefined;
  /** Successes and failures counted since start. */
  successes = 0;
  failures = 0;
  private readonly samples = new Float64Array(SAMPLES);
  private count = 0;

  /** Records a finished attempt's latency and outcome. */
  record(latencyMs: number, ok: boolean): void {
    if (ok) {
      this.successes++;
      this.consecutiveFailures = 0;
      this.samples[this.count % SAMPLES] = latencyMs;
      this.count++;
      this.ewmaMs =
        this.ewmaMs === undefined ? latencyMs : this.ewmaMs + EWMA_WEIGHT * (latencyMs - this.ewmaMs);
    } else {
      this.failures++;
      this.consecutiveFailures++;
    }
  }

  /** The p-th percentile (0-100) of the last 64 successful latencies; undefined with fewer than 8 samples. */
  percentile(p: number): number | undefined {
    const size = Math.min(this.count, SAMPLES);
    if (size < 8) return undefined;
    const sorted = Array.from(this.samples.subarray(0, size)).sort((a, b) => a - b);
    return sorted[Math.min(size - 1, Math.floor((p / 100) * size))];
  }
}

/** Stats for every endpoint, created on first use. */
export class EndpointStatsRegistry {
  private readonly byEndpoint = new Map<Endpoint, EndpointStats>();
  /** Set by the circuit-breaker plugin: gives each endpoint's stats a breaker. */
  breakerFactory: ((endpoint: Endpoint) => CircuitBreaker) | undefined;

  get(endpoint: Endpoint): EndpointStats {
    let stats = this.byEndpoint.get(endpoint);
    if (!stats) {
      stats = new EndpointStats();
      stats.breaker = this.breakerFactory?.(endpoint);
      this.byEndpoint.set(endpoint, stats);
    }
    return stats;
  }

  /** Every endpoint seen so far, with its stats. */
  entries(): IterableIterator<[Endpoint, EndpointStats]> {
    return this.byEndpoint.entries();
  }

  /** Whether the endpoint can take an attempt now (no breaker, or one that is not open or out of probes). */
  available(endpoint: Endpoint): boolean {
    return this.get(endpoint).breaker?.available() ?? true;
  }

  /** Counts an attempt going to the endpoint (a half-open breaker's probe). */
  admit(endpoint: Endpoint): void {
    this.get(endpoint).breaker?.admit();
  }
}
