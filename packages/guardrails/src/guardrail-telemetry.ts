import { type Counter, type Meter, metrics } from "@opentelemetry/api";
import type { Logger } from "@switchyard/core";

/** Metric and attribute names of the guardrail plugins. */
export const GUARDRAIL_METRICS = Object.freeze({
  /**
   * Counter: guardrail decisions, by `switchyard.guardrail.plugin` and `switchyard.guardrail.outcome`
   * (`allowed`, `denied`, `modified`, `redacted` (one per match), `cached`, `unavailable_open`,
   * `unavailable_closed`).
   */
  decisions: "switchyard.guardrail.decisions",
  pluginAttribute: "switchyard.guardrail.plugin",
  outcomeAttribute: "switchyard.guardrail.outcome",
  /** On `redacted` outcomes: which detector matched (`email`, `card`, a custom name...). */
  detectorAttribute: "switchyard.guardrail.detector",
});

/** What a guardrail decided about one request (or answer). */
export type GuardrailOutcome =
  | "allowed"
  | "denied"
  | "modified"
  | "redacted"
  | "cached"
  | "unavailable_open"
  | "unavailable_closed";

const FAILURE_LOG_INTERVAL_MS = 10_000;

/**
 * Counts decisions and logs policy-service failures, at most one line per 10 s per plugin (with the
 * number suppressed since), so an outage does not flood the log.
 */
export class GuardrailTelemetry {
  private readonly counter: Counter;
  private logger: Logger | undefined;
  private lastLogAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly plugin: string,
    meter: Meter = metrics.getMeter("@switchyard/guardrails"),
  ) {
    this.counter = meter.createCounter(GUARDRAIL_METRICS.decisions, {
      description: "Guardrail decisions, by plugin and outcome.",
    });
  }

  /** Logs through the gateway's logger (set in `apply`). */
  attach(logger: Logger): void {
    this.logger = logger;
  }

  decided(outcome: GuardrailOutcome, detector?: string): void {
    this.counter.add(1, {
      [GUARDRAIL_METRICS.pluginAttribute]: this.plugin,
      [GUARDRAIL_METRICS.outcomeAttribute]: outcome,
      ...(detector === undefined ? {} : { [GUARDRAIL_METRICS.detectorAttribute]: detector }),
    });
  }

  /** A policy service call failed: count it and (throttled) log it. */
  serviceFailed(requestId: string, failure: string, failOpen: boolean, cause: unknown): void {
    this.decided(failOpen ? "unavailable_open" : "unavailable_closed");
    const now = Date.now();
    if (now - this.lastLogAt < FAILURE_LOG_INTERVAL_MS) {
      this.suppressed++;
      return;
    }
    this.lastLogAt = now;
    this.logger?.error(
      {
        requestId,
        plugin: this.plugin,
        failure,
        failOpen,
        suppressedSinceLastLog: this.suppressed,
        err: cause,
      },
      `policy service unavailable (${failure}): failing ${failOpen ? "open (request goes on unchecked)" : "closed (503)"}`,
    );
    this.suppressed = 0;
  }
}
