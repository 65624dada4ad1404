/** Small statistics helpers over plain arrays of numbers. */

/** The `p`-th percentile (0-100) by nearest rank; NaN for an empty array. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** The median (50th percentile by nearest rank). */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** The arithmetic mean; NaN for an empty array. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** A distribution summary in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly minMs: number;
}

/** Summarises samples in milliseconds. */
export function summarise(samplesMs: readonly number[]): LatencySummary {
  return {
    count: samplesMs.length,
    meanMs: mean(samplesMs),
    p50Ms: percentile(samplesMs, 50),
    p90Ms: percentile(samplesMs, 90),
    p99Ms: percentile(samplesMs, 99),
    minMs: samplesMs.length === 0 ? Number.NaN : Math.min(...samplesMs),
  };
}
