/**
 * Counts completed and failed requests and their tokens from `hooks.requestCompleted` and
 * `hooks.requestFailed`, the way a metrics exporter would. The benchmark reads the counts at the end to show
 * the taps really ran on every request.
 */
import type { Gateway, Plugin, RequestContext } from "@switchyard/core";

const PLUGIN_NAME = "bench:metrics";

/** What the metrics plugin has counted so far. */
export interface MetricsSnapshot {
  readonly completed: number;
  readonly failed: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** The plugin and a way to read its counters. */
export interface MetricsTapPlugin extends Plugin {
  snapshot(): MetricsSnapshot;
}

/** Creates the counting metrics plugin. */
export function createMetricsTapPlugin(): MetricsTapPlugin {
  const counts = { completed: 0, failed: 0, promptTokens: 0, completionTokens: 0 };
  return {
    name: PLUGIN_NAME,
    apply(gateway: Gateway) {
      gateway.hooks.requestCompleted.tap(PLUGIN_NAME, (context: RequestContext) => {
        counts.completed++;
        counts.promptTokens += context.usage?.prompt_tokens ?? 0;
        counts.completionTokens += context.usage?.completion_tokens ?? 0;
      });
      gateway.hooks.requestFailed.tap(PLUGIN_NAME, () => {
        counts.failed++;
      });
    },
    snapshot: () => ({ ...counts }),
  };
}
