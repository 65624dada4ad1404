/**
 * Counts per second over the last `seconds` seconds: a ring of buckets, each stamped with the second it
 * counts, so a bucket left over from an earlier lap reads as zero. O(1) to add, O(seconds) to read.
 */
export class SecondCounter {
  private readonly counts: Float64Array;
  private readonly stamps: Float64Array;

  constructor(readonly seconds: number) {
    this.counts = new Float64Array(seconds);
    this.stamps = new Float64Array(seconds).fill(-1);
  }

  /** Adds `amount` to the second `nowMs` falls in. */
  add(nowMs: number, amount = 1): void {
    const second = Math.floor(nowMs / 1000);
    const slot = second % this.seconds;
    if (this.stamps[slot] !== second) {
      this.stamps[slot] = second;
      this.counts[slot] = 0;
    }
    this.counts[slot] = (this.counts[slot] ?? 0) + amount;
  }

  /** Per-second counts of the last `seconds` seconds, oldest first; the last one is the current second. */
  series(nowMs: number): number[] {
    const now = Math.floor(nowMs / 1000);
    const values: number[] = [];
    for (let second = now - this.seconds + 1; second <= now; second++) {
      const slot = second % this.seconds;
      values.push(this.stamps[slot] === second ? (this.counts[slot] ?? 0) : 0);
    }
    return values;
  }

  /** Everything counted in the ring: the last `seconds - 1` complete seconds and the current one. */
  total(nowMs: number): number {
    return this.series(nowMs).reduce((sum, value) => sum + value, 0);
  }

  /** The sum over the last `lastSeconds` complete seconds (the current, partial one excluded). */
  sum(nowMs: number, lastSeconds = this.seconds - 1): number {
    const values = this.series(nowMs);
    let total = 0;
    for (let index = values.length - 1 - lastSeconds; index < values.length - 1; index++)
      total += values[index] ?? 0;
    return total;
  }
}

/** Percentiles of recent samples. */
export interface Percentiles {
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  /** Samples they were computed from. */
  readonly count: number;
}

/**
 * The last `capacity` samples with the time each was taken; percentiles over those younger than a window.
 * Bounded memory whatever the traffic; under heavy traffic the window is effectively the last `capacity`
 * samples.
 */
export class RecentSamples {
  private readonly values: Float64Array;
  private readonly times: Float64Array;
  private next = 0;
  private size = 0;

  constructor(private readonly capacity = 4096) {
    this.values = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
  }

  add(nowMs: number, value: number): void {
    this.values[this.next] = value;
    this.times[this.next] = nowMs;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** Nearest-rank percentiles of the samples taken in the last `windowMs`. */
  percentiles(nowMs: number, windowMs: number): Percentiles {
    const recent: number[] = [];
    for (let index = 0; index < this.size; index++) {
      if (nowMs - (this.times[index] ?? 0) <= windowMs) recent.push(this.values[index] ?? 0);
    }
    if (recent.length === 0) return { p50: null, p95: null, p99: null, count: 0 };
    recent.sort((a, b) => a - b);
    const rank = (p: number) =>
      recent[Math.min(recent.length - 1, Math.ceil((p / 100) * recent.length) - 1)] ?? 0;
    return { p50: rank(50), p95: rank(95), p99: rank(99), count: recent.length };
  }
}
