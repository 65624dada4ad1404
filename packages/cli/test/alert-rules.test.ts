import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./cli-process.js";

const rules = readFileSync(`${repoRoot}docs/prometheus/switchyard-alerts.yml`, "utf8");
const observability = readFileSync(`${repoRoot}docs/guides/observability.md`, "utf8");
const production = readFileSync(`${repoRoot}docs/guides/production.md`, "utf8");

/** Metric names an expression selects: label lists (`by (...)`, `on (...)`) and matchers (`{...}`) removed. */
function metricsOf(expression: string): string[] {
  const bare = expression.replace(/\b(by|on|ignoring|without)\s*\([^)]*\)/g, "").replace(/\{[^}]*\}/g, "");
  return [...bare.matchAll(/\b(?:switchyard|gen_ai)_[a-z_]+\b/g)].map((match) => match[0]);
}

/** The Prometheus series a documented name stands for: `gen_ai_x_*` covers `_bucket`, `_count`, `_sum`. */
function documented(metric: string): boolean {
  const base = metric.replace(/_(bucket|count|sum)$/, "");
  return observability.includes(`\`${metric}\``) || observability.includes(`\`${base}_*\``);
}

describe("docs/prometheus/switchyard-alerts.yml", () => {
  const expressions = [...rules.matchAll(/expr: \|?\n?([\s\S]*?)\n\s+for:/g)].map(
    (match) => match[1] as string,
  );
  const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map((match) => match[1] as string);

  it("has an expression, a duration and a runbook section for every alert", () => {
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    expect(expressions).toHaveLength(alerts.length);
    for (const anchor of rules.matchAll(/runbook: docs\/guides\/production\.md#([\w-]+)/g)) {
      const heading = new RegExp(`^#+ ${(anchor[1] as string).replace(/-/g, "[ -]")}$`, "im");
      expect(production, `production.md has no section #${anchor[1]}`).toMatch(heading);
    }
    expect([...rules.matchAll(/runbook: /g)]).toHaveLength(alerts.length);
  });

  it("selects only metrics the observability guide documents", () => {
    const used = new Set(expressions.flatMap(metricsOf));
    expect(used.size).toBeGreaterThanOrEqual(10);
    const undocumented = [...used].filter((metric) => !documented(metric));
    expect(undocumented).toEqual([]);
  });
});
