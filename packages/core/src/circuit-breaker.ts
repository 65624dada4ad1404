/** Where a breaker is. */
export type CircuitState = "closed" | "open" | "half-open";

/** Options of the per-endpoint circuit breaker. */
export interface CircuitBreakerOptions {
  /** Trip after this many failures in a row. @default 5 */
  consecutiveFailures: number;
  /** Or trip when the failure rate over the last `windowSize` attempts reaches this (0-1). @default 0.5 */
  failureRate: number;
  /** Attempts the failure rate is computed over (and the least before it can trip). @default 20 */
  windowSize: number;
  /** How long an open breaker refuses traffic before letting probes through. @default 30000 */
  cooldownMs: number;
  /** Probes allowed at once while half-open; one success closes, one failure re-opens. @default 1 */
  halfOpenProbes: number;
}

/** The breaker's defaults, in one place. */
export const defaultCircuitBreakerOptions: Readonly<CircuitBreakerOptions> = Object.freeze({
  consecutiveFailures: 5,
  failureRate: 0.5,
  windowSize: 20,
  cooldownMs: 30_000,
  halfOpenProbes: 1,
});

/**
 * A circuit breaker for one endpoint: closed (traffic flows) -> open after a failure streak or a high
 * failure rate (no traffic for `cooldownMs`) -> half-open (a few probes) -> closed on a probe's success,
 * open again on its failure.
 */
export class CircuitBreaker {
  private currentState: CircuitState = "closed";
  private openedAt = 0;
  private streak = 0;
  private probes = 0;
  private readonly outcomes: boolean[] = [];

  constructor(
    private readonly options: Readonly<CircuitBreakerOptions>,
    private readonly onChange: (from: CircuitState, to: CircuitState) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** The state, moving open -> half-open once the cool-down is over. */
  get state(): CircuitState {
    if (this.currentState === "open" && this.now() - this.openedAt >= this.options.cooldownMs) {
      this.move("half-open");
    }
    return this.currentState;
  }

  /** Whether an attempt could go to this endpoint now (does not count a probe). */
  available(): boolean {
    const state = this.state;
    return state === "closed" || (state === "half-open" && this.probes < this.options.halfOpenProbes);
  }

  /** Whether an attempt may go to this endpoint now; a half-open breaker counts the probe it admits. */
  admit(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open") return false;
    if (this.probes >= this.options.halfOpenProbes) return false;
    this.probes++;
    return true;
  }

  /** Feeds one attempt's outcome. */
  record(ok: boolean): void {
    const state = this.state;
    if (state === "half-open") {
      this.probes = Math.max(0, this.probes - 1);
      if (ok) this.reset();
      else this.trip();
      return;
    }
    if (state === "open") return;
    this.outcomes.push(ok);
    if (this.outcomes.length > this.options.windowSize) this.outcomes.shift();
    this.streak = ok ? 0 : this.streak + 1;
    if (this.streak >= this.options.consecutiveFailures) {
      this.trip();
      return;
    }
    if (this.outcomes.length >= this.options.windowSize) {
      const failures = this.outcomes.reduce((count, outcome) => count + (outcome ? 0 : 1), 0);
      if (failures / this.outcomes.length >= this.options.failureRate) this.trip();
    }
  }

  private trip(): void {
    this.openedAt = this.now();
    this.probes = 0;
    this.move("open");
  }

  private reset(): void {
    this.streak = 0;
    this.probes = 0;
    this.outcomes.length = 0;
    this.move("closed");
  }

  private move(to: CircuitState): void {
    const from = this.currentState;
    if (from === to) return;
    this.currentState = to;
    this.onChange(from, to);
  }
}
