/**
 * Formats a run's results as Markdown tables (printed to stdout, and pasted as-is into docs/benchmarks.md).
 */
import type { BenchOptions } from "./bench-options.js";
import type { CorePlan } from "./cpu-pinning.js";
import type { MachineInfo } from "./machine-info.js";
import { type BenchResults, judgeTargets, mib } from "./targets.js";
import type { ServerCell, ThroughputCell } from "./throughput-phase.js";

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
  return lines.join("\n");
}

function fixed(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? "-" : value.toFixed(digits);
}

function signed(value: number): string {
  return `${value >= 0 ? "+" : ""}${fixed(value, 3)}`;
}

function percent(share: number | undefined): string {
  return share === undefined ? "-" : `${Math.round(share * 100)}%`;
}

function cores(cell: ServerCell): string {
  return cell.coreBusy.length === 0 ? "-" : cell.coreBusy.map(percent).join("/");
}

function disturbed(cell: ServerCell): string {
  return cell.disturbedRounds > 0 ? ` (${cell.disturbedRounds} disturbed)` : "";
}

/** proxy CPU per request / gateway CPU per request: the throughput ratio if both were CPU-bound alone. */
export function cpuRatio(cell: ThroughputCell): number | undefined {
  const gateway = cell.gateway.serverCpuMicrosPerRequest;
  const proxy = cell.proxy.serverCpuMicrosPerRequest;
  return gateway === undefined || proxy === undefined ? undefined : proxy / gateway;
}

function problems(cell: ServerCell): string {
  const parts: string[] = [];
  if (cell.non2xx > 0) parts.push(`${cell.non2xx} non-2xx`);
  if (cell.errors > 0) parts.push(`${cell.errors} errors`);
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}

/** The run's header: machine, pinning, settings. */
export function formatHeader(machine: MachineInfo, plan: CorePlan, options: BenchOptions): string {
  return [
    "# Switchyard gateway vs minimal undici proxy",
    "",
    `- machine: ${machine.cores} cores (nproc), ${machine.cpuModel}, ${machine.memoryGiB} GiB RAM, ${machine.platform}`,
    `- node: ${machine.node}`,
    `- pinning: ${plan.description}`,
    `- cells: ${options.durationSeconds} s measured after ${options.warmupSeconds} s warm-up; connections ${options.connections.join(", ")}; scenarios ${options.scenarios.join(", ")}${options.quick ? " (--quick)" : ""}`,
    "- gateway: @switchyard/http node adapter, OpenAI provider, taps: api-key auth, in-memory rate-limit counter, metrics counter",
    "- proxy: node:http + undici Pool pass-through (benchmarks/src/minimal-proxy.ts)",
    `- noise guard: each measured run starts once other programs use <= ${options.maxOtherLoad} cores; a run they disturbed is redone up to ${options.retries} times (${options.quietBudgetSeconds} s budget); ${options.rounds} alternating rounds per server per cell`,
  ].join("\n");
}

/** All tables and verdicts. */
export function formatResults(results: BenchResults): string {
  const sections: string[] = [];
  const throughput = results.throughput;
  if (throughput) {
    const rows = throughput.cells.map((cell) => [
      cell.scenario,
      String(cell.connections),
      `${fixed(cell.gateway.requestsPerSecond, 0)}${problems(cell.gateway)}`,
      `${fixed(cell.proxy.requestsPerSecond, 0)}${problems(cell.proxy)}`,
      `**${fixed(cell.ratio, 2)}**`,
      `${fixed(cell.gateway.p50Ms, 2)} / ${fixed(cell.gateway.p99Ms, 2)}`,
      `${fixed(cell.proxy.p50Ms, 2)} / ${fixed(cell.proxy.p99Ms, 2)}`,
      `${fixed(cell.gateway.serverCpuMicrosPerRequest, 0)} / ${fixed(cell.proxy.serverCpuMicrosPerRequest, 0)} (${fixed(cpuRatio(cell), 2)})`,
      `${cores(cell.gateway)} \u00b7 ${cores(cell.proxy)}`,
      `${fixed(cell.gateway.otherCores, 2)}${disturbed(cell.gateway)} \u00b7 ${fixed(cell.proxy.otherCores, 2)}${disturbed(cell.proxy)}`,
    ]);
    sections.push(
      "## Throughput",
      "",
      table(
        [
          "scenario",
          "conns",
          "gateway req/s",
          "proxy req/s",
          "gw/proxy",
          "gateway p50 / p99 ms",
          "proxy p50 / p99 ms",
          "server CPU \u00b5s/req gw / proxy (proxy/gw)",
          "core0/core1 busy gw \u00b7 proxy",
          "other load (cores) gw \u00b7 proxy",
        ],
        rows,
      ),
      "",
      `Metrics tap in the gateway counted ${throughput.gatewayMetrics.completed} completed and ${throughput.gatewayMetrics.failed} failed requests, ${throughput.gatewayMetrics.promptTokens + throughput.gatewayMetrics.completionTokens} tokens; the load generator saw ${throughput.gateway2xxSeen} 2xx responses from the gateway (failed = requests cut off when autocannon stops a run).`,
    );
  }
  if (throughput) {
    const spread = throughput.cells.map(
      (cell) =>
        `${cell.scenario} c=${cell.connections}: gateway ${cell.gateway.roundRequestsPerSecond.map((value) => value.toFixed(0)).join(", ")}; proxy ${cell.proxy.roundRequestsPerSecond.map((value) => value.toFixed(0)).join(", ")}`,
    );
    sections.push(
      "",
      "Requests per second of each round (spread within a cell):",
      "",
      ...spread.map((line) => `- ${line}`),
    );
  }
  const ttfb = results.ttfb;
  if (ttfb) {
    sections.push(
      "",
      `## Time to first streamed byte, 1 connection, ${ttfb.requests} sequential requests per server (interleaved)`,
      "",
      table(
        ["server", "first byte p50 ms", "p90 ms", "p99 ms", "whole stream p50 ms"],
        [
          [
            "gateway",
            fixed(ttfb.gateway.firstByte.p50Ms, 3),
            fixed(ttfb.gateway.firstByte.p90Ms, 3),
            fixed(ttfb.gateway.firstByte.p99Ms, 3),
            fixed(ttfb.gateway.complete.p50Ms, 3),
          ],
          [
            "proxy",
            fixed(ttfb.proxy.firstByte.p50Ms, 3),
            fixed(ttfb.proxy.firstByte.p90Ms, 3),
            fixed(ttfb.proxy.firstByte.p99Ms, 3),
            fixed(ttfb.proxy.complete.p50Ms, 3),
          ],
        ],
      ),
      "",
      `Median difference (gateway - proxy): ${signed(ttfb.medianDifferenceMs)} ms; median of paired per-round differences: ${signed(ttfb.pairedMedianDifferenceMs)} ms; other load during the sequence: ${fixed(ttfb.otherCores, 2)} cores`,
    );
  }
  const rss = results.rss;
  if (rss) {
    const row = (name: string, memory: typeof rss.gateway) => {
      const streams = memory.waves.reduce((sum, wave) => sum + wave.completed, 0);
      const failed = memory.waves.reduce((sum, wave) => sum + wave.failed, 0);
      return [
        name,
        mib(memory.baselineKiB),
        mib(memory.sampledPeakKiB),
        mib(memory.peakKiB),
        memory.peakKiB !== undefined && memory.baselineKiB !== undefined
          ? mib(memory.peakKiB - memory.baselineKiB)
          : "-",
        `${streams}${failed > 0 ? ` (${failed} failed)` : ""}`,
      ];
    };
    sections.push(
      "",
      `## Peak RSS under ${rss.streams} concurrent slow streams (fresh process each)`,
      "",
      table(
        ["server", "after warm-up MiB", "sampled peak MiB", "VmHWM MiB", "growth MiB", "streams completed"],
        [row("gateway", rss.gateway), row("proxy", rss.proxy)],
      ),
      "",
      `Ratio (VmHWM gateway / proxy): ${fixed(rss.ratio, 2)}`,
    );
  }
  sections.push(
    "",
    "## Targets",
    "",
    table(
      ["target", "measured", "result"],
      judgeTargets(results).map((verdict) => [verdict.target, verdict.measured, `**${verdict.status}**`]),
    ),
  );
  return sections.join("\n");
}
