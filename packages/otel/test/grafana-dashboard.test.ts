import { readFileSync } from "node:fs";
import * as core from "@switchyard/core";
import { describe, expect, it } from "vitest";

// The Grafana dashboard and the observability guide must only name metrics the gateway exports, under the
// names the Prometheus exporter gives them (dots to underscores; `_total` on counters; `_bucket`, `_sum`,
// `_count` on histograms).
const histograms = new Set([
  core.METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  core.METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  core.METRIC_GEN_AI_SERVER_REQUEST_DURATION,
  core.METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN,
]);
const gauges = new Set([core.METRIC_SWITCHYARD_REQUESTS_ACTIVE, core.METRIC_SWITCHYARD_BREAKER_STATE]);

const metricNames = Object.entries(core)
  .filter(([name]) => name.startsWith("METRIC_"))
  .map(([, value]) => value as string);

function prometheusNames(metric: string): string[] {
  const base = metric.replaceAll(".", "_");
  if (histograms.has(metric)) return [`${base}_bucket`, `${base}_sum`, `${base}_count`];
  if (gauges.has(metric)) return [base];
  return [`${base}_total`];
}

// Metrics other packages record (the CLI's server, the limiter, cache, keys, guardrails) are documented in the
// same guide; their names are read from the files that declare them, so a renamed metric fails here too.
const otherMetricFiles = [
  "../../cli/src/server-metrics.ts",
  "../../limiter/src/rate-limit-plugin.ts",
  "../../limiter/src/upstream-cap-plugin.ts",
];
const otherMetrics = otherMetricFiles.flatMap((file) =>
  [...readFileSync(new URL(file, import.meta.url), "utf8").matchAll(/"(switchyard\.[a-z_.]+)"/g)].map(
    (match) => match[1] as string,
  ),
);
const exported = new Set([
  ...metricNames.flatMap(prometheusNames),
  ...otherMetrics.flatMap((metric) => [metric.replaceAll(".", "_"), `${metric.replaceAll(".", "_")}_total`]),
]);
const labels = new Set(
  Object.entries(core)
    .filter(([name]) => name.startsWith("ATTR_"))
    .map(([, value]) => (value as string).replaceAll(".", "_")),
);
const referenced = (text: string) => new Set(text.match(/\b(?:gen_ai|switchyard)_[a-z_]+\b/g) ?? []);

describe("metric names in the docs", () => {
  it("the registry has the metrics the guide promises", () => {
    expect(metricNames).toHaveLength(13);
    expect(exported).toContain("gen_ai_client_token_usage_bucket");
    expect(exported).toContain("switchyard_requests_total");
  });

  it("the Grafana dashboard queries exported metrics only, and every one of them", () => {
    const dashboard = JSON.parse(
      readFileSync(new URL("../../../docs/grafana/switchyard-dashboard.json", import.meta.url), "utf8"),
    ) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
    const expressions = dashboard.panels.flatMap((panel) => panel.targets ?? []).map((target) => target.expr);
    const names = referenced(expressions.join("\n"));
    const metrics = [...names].filter((name) => exported.has(name) || !labels.has(name));
    const unknown = metrics.filter((name) => !exported.has(name));
    expect(unknown, `not exported: ${unknown.join(", ")}`).toEqual([]);
    const families = new Set(metrics.map((name) => name.replace(/_(bucket|sum|count|total)$/, "")));
    const unused = metricNames
      .map((metric) => metric.replaceAll(".", "_"))
      .filter((base) => !families.has(base));
    expect(unused).toEqual([]);
  });

  it("the observability guide names exported metrics only", () => {
    const guide = readFileSync(new URL("../../../docs/guides/observability.md", import.meta.url), "utf8");
    const names = [...referenced(guide)].filter(
      (name) => /_(total|bucket|sum|count)$/.test(name) || gauges.has(name.replaceAll("_", ".")),
    );
    const unknown = names.filter((name) => !exported.has(name) && !exported.has(`${name}_total`));
    expect(unknown, `not exported: ${unknown.join(", ")}`).toEqual([]);
  });
});
