/**
 * Throughput cells. For each scenario and connection count, the gateway and the proxy are each warmed up, then
 * loaded with autocannon against the same mock upstream. A cell's measured time is split into rounds run
 * in an ABBA order (gateway, proxy, proxy, gateway, ...; which server leads alternates from cell to cell),
 * so drift and bursts of other load on the machine fall on both servers alike. Around every run the CPU
 * seconds of each process and the busy time of each core are read, so the report can show the server's CPU
 * cost per request (which does not depend on which core was the bottleneck) and flag disturbed cells.
 */

import { type BenchContext, loadgenTask, type ServerKind, startServer } from "./bench-context.js";
import type { ScenarioName } from "./bench-options.js";
import { checkServers } from "./check-servers.js";
import type { ChildHandle } from "./child-process-group.js";
import type { ServerReadyInfo } from "./ipc-protocol.js";
import type { MetricsSnapshot } from "./metrics-tap-plugin.js";
import { type CpuUsage, startCpuUsage } from "./proc-stats.js";
import { waitForQuiet } from "./quiet-machine.js";
import type { LoadMeasurement } from "./run-autocannon.js";
import { chatRequest } from "./scenarios.js";
import { mean, percentile } from "./stats.js";

/** One server's numbers in one cell, over all its rounds. */
export interface ServerCell {
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly durationSeconds: number;
  readonly requestsPerSecond: number;
  /** req/s of each round, to show the spread. */
  readonly roundRequestsPerSecond: readonly number[];
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  /** Server CPU time per 2xx response, in microseconds. */
  readonly serverCpuMicrosPerRequest: number | undefined;
  /** Mean busy share (0-1) of each core during the runs. */
  readonly coreBusy: readonly number[];
  /** Mean CPU used by programs other than the benchmark's (plus unattributed kernel work), in cores. */
  readonly otherCores: number | undefined;
  /** Kept rounds during which other load exceeded `--max-other-load` (retries ran out). */
  readonly disturbedRounds: number;
  /** Rounds thrown away and run again because other load exceeded `--max-other-load`. */
  readonly redoneRounds: number;
}

/** One scenario at one connection count, both servers. */
export interface ThroughputCell {
  readonly scenario: ScenarioName;
  readonly connections: number;
  readonly gateway: ServerCell;
  readonly proxy: ServerCell;
  /** gateway req/s divided by proxy req/s. */
  readonly ratio: number;
}

/** The phase's results. */
export interface ThroughputResult {
  readonly cells: readonly ThroughputCell[];
  /** The gateway's metrics tap counters at the end, to show the taps ran. */
  readonly gatewayMetrics: MetricsSnapshot;
  /** 2xx responses the load generator got from the gateway (probes, warm-ups and measured runs). */
  readonly gateway2xxSeen: number;
}

interface Run {
  readonly kind: ServerKind;
  readonly measurement: LoadMeasurement;
  readonly usage: CpuUsage;
  readonly disturbed: boolean;
  readonly redone: number;
}

function aggregate(runs: readonly Run[]): ServerCell {
  const ok = runs.reduce((sum, run) => sum + run.measurement.ok, 0);
  const durationSeconds = runs.reduce((sum, run) => sum + run.measurement.durationSeconds, 0);
  const samples = runs.flatMap((run) => run.measurement.latencySamplesMs);
  const cpuSeconds = runs.map((run) => run.usage.processSeconds[run.kind]);
  const coreCount = Math.max(0, ...runs.map((run) => run.usage.coreBusy.length));
  const others = runs.map((run) => run.usage.otherCores);
  return {
    ok,
    non2xx: runs.reduce((sum, run) => sum + run.measurement.non2xx, 0),
    errors: runs.reduce((sum, run) => sum + run.measurement.errors, 0),
    durationSeconds,
    requestsPerSecond: durationSeconds > 0 ? ok / durationSeconds : 0,
    roundRequestsPerSecond: runs.map((run) => run.measurement.ok / run.measurement.durationSeconds),
    p50Ms: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
    meanMs: mean(samples),
    serverCpuMicrosPerRequest:
      ok > 0 && cpuSeconds.every((seconds) => seconds !== undefined)
        ? (cpuSeconds.reduce((sum: number, seconds) => sum + (seconds ?? 0), 0) / ok) * 1e6
        : undefined,
    coreBusy: Array.from({ length: coreCount }, (_, core) =>
      mean(runs.map((run) => run.usage.coreBusy[core] ?? 0)),
    ),
    otherCores: others.every((value) => value !== undefined) ? mean(others as number[]) : undefined,
    disturbedRounds: runs.filter((run) => run.disturbed).length,
    redoneRounds: runs.reduce((sum, run) => sum + run.redone, 0),
  };
}

/** Runs every throughput cell against a gateway and a proxy started for this phase. */
export async function runThroughputPhase(context: BenchContext): Promise<ThroughputResult> {
  const { options, log } = context;
  const profiling = options.cpuProfileDir !== undefined;
  const servers: Record<ServerKind, ChildHandle<ServerReadyInfo>> = {
    gateway: await startServer(
      context,
      "gateway",
      "fast",
      profiling ? "gateway-throughput.cpuprofile" : undefined,
    ),
    proxy: await startServer(context, "proxy", "fast", profiling ? "proxy-throughput.cpuprofile" : undefined),
  };
  // Every process of the run: CPU not used by one of these is "other load".
  const ownPids = {
    gateway: servers.gateway.pid,
    proxy: servers.proxy.pid,
    upstream: context.upstream.pid,
    loadgen: context.loadgen.pid,
    parent: process.pid,
  };
  const roundSeconds = options.durationSeconds / options.rounds;
  const run = async (kind: ServerKind, scenario: ScenarioName, connections: number, seconds: number) => {
    const task = {
      kind: "autocannon",
      url: servers[kind].info.url,
      request: chatRequest(scenario),
      connections,
      durationSeconds: seconds,
    } as const;
    const stop = startCpuUsage(ownPids);
    const measurement = await loadgenTask<LoadMeasurement>(context, task, (seconds + 30) * 1000);
    return { measurement, usage: stop() };
  };
  // A measured round: started on a quiet machine, and run again (bounded) when other load disturbed it.
  const round = async (kind: ServerKind, scenario: ScenarioName, connections: number): Promise<Run> => {
    for (let redone = 0; ; redone++) {
      const wait = await waitForQuiet(ownPids, options.maxOtherLoad, context.quietBudget);
      if (!wait.quiet && wait.waitedSeconds > 0)
        log(
          `    machine still busy after ${wait.waitedSeconds.toFixed(0)} s (other load ${wait.otherCores?.toFixed(2)} cores): measuring anyway`,
        );
      const { measurement, usage } = await run(kind, scenario, connections, roundSeconds);
      const disturbed = (usage.otherCores ?? 0) > options.maxOtherLoad;
      const canRedo = redone < options.retries && context.quietBudget.remainingSeconds >= roundSeconds;
      if (!disturbed || !canRedo) return { kind, measurement, usage, disturbed, redone };
      context.quietBudget.spend(roundSeconds);
      log(`    ${kind}: other load ${usage.otherCores?.toFixed(2)} cores during the round: running it again`);
    }
  };
  try {
    await checkServers(
      context,
      { gateway: servers.gateway.info.url, proxy: servers.proxy.info.url },
      options.scenarios,
    );
    let gateway2xxSeen = options.scenarios.length;
    const cells: ThroughputCell[] = [];
    let cellIndex = 0;
    for (const scenario of options.scenarios) {
      for (const connections of options.connections) {
        const lead: ServerKind[] = cellIndex % 2 === 0 ? ["gateway", "proxy"] : ["proxy", "gateway"];
        cellIndex++;
        log(`  ${scenario} c=${connections}: ${options.rounds} x ${roundSeconds.toFixed(1)} s per server`);
        const runs: Record<ServerKind, Run[]> = { gateway: [], proxy: [] };
        if (options.warmupSeconds > 0) {
          for (const kind of lead) {
            const warmup = await run(kind, scenario, connections, options.warmupSeconds);
            if (kind === "gateway") gateway2xxSeen += warmup.measurement.ok;
          }
        }
        for (let index = 0; index < options.rounds; index++) {
          const order = index % 2 === 0 ? lead : [...lead].reverse();
          for (const kind of order) {
            const result = await round(kind, scenario, connections);
            runs[kind].push(result);
            if (kind === "gateway") gateway2xxSeen += result.measurement.ok;
            const { measurement } = result;
            if (measurement.ok === 0 || measurement.non2xx > 0 || measurement.errors > 0) {
              log(
                `  warning: ${kind}: ${measurement.ok} ok, ${measurement.non2xx} non-2xx, ${measurement.errors} errors`,
              );
            }
          }
        }
        const gateway = aggregate(runs.gateway);
        const proxy = aggregate(runs.proxy);
        const ratio = gateway.requestsPerSecond / proxy.requestsPerSecond;
        cells.push({ scenario, connections, gateway, proxy, ratio });
        log(
          `    gateway ${gateway.requestsPerSecond.toFixed(0)} req/s, proxy ${proxy.requestsPerSecond.toFixed(0)} req/s, ratio ${ratio.toFixed(2)}`,
        );
      }
    }
    const gatewayMetrics = await servers.gateway.request<MetricsSnapshot>({ kind: "metrics" }, 5_000);
    return { cells, gatewayMetrics, gateway2xxSeen };
  } finally {
    // Graceful stops so --cpu-prof profiles are written.
    await Promise.all([servers.gateway.stop(), servers.proxy.stop()]);
  }
}
