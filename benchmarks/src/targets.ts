/**
 * The performance targets of the issue, judged on one run's results. A target whose measurement was not
 * made in this run (e.g. `--connections 16` leaves out 64) is reported as not measured, never as passed.
 */
import type { ScenarioName } from "./bench-options.js";
import type { RssPhaseResult } from "./rss-phase.js";
import type { ThroughputResult } from "./throughput-phase.js";
import type { TtfbPhaseResult } from "./ttfb-phase.js";

/** Throughput at this many connections must be at least this share of the proxy's. */
export const THROUGHPUT_TARGET = Object.freeze({ connections: 64, minimumRatio: 0.85 });
/** The gateway's median time to first byte may exceed the proxy's by at most this many ms. */
export const TTFB_TARGET_MS = 0.5;
/** Peak RSS under concurrent streams may be at most this multiple of the proxy's. */
export const RSS_TARGET_RATIO = 1.25;

/** One target's verdict. */
export interface TargetVerdict {
  readonly target: string;
  readonly measured: string;
  readonly status: "PASS" | "FAIL" | "not measured";
}

/** Everything one run measured. */
export interface BenchResults {
  readonly throughput?: ThroughputResult;
  readonly ttfb?: TtfbPhaseResult;
  readonly rss?: RssPhaseResult;
}

function throughputVerdict(results: BenchResults, scenario: ScenarioName): TargetVerdict {
  const target = `${scenario} throughput at ${THROUGHPUT_TARGET.connections} connections >= ${THROUGHPUT_TARGET.minimumRatio}x proxy`;
  const cell = results.throughput?.cells.find(
    (candidate) => candidate.scenario === scenario && candidate.connections === THROUGHPUT_TARGET.connections,
  );
  if (!cell) return { target, measured: "-", status: "not measured" };
  const gatewayCpu = cell.gateway.serverCpuMicrosPerRequest;
  const proxyCpu = cell.proxy.serverCpuMicrosPerRequest;
  const cpu =
    gatewayCpu !== undefined && proxyCpu !== undefined
      ? `; CPU-cost ratio ${(proxyCpu / gatewayCpu).toFixed(2)}x`
      : "";
  return {
    target,
    measured: `${cell.ratio.toFixed(2)}x (${cell.gateway.requestsPerSecond.toFixed(0)} vs ${cell.proxy.requestsPerSecond.toFixed(0)} req/s${cpu})`,
    status: cell.ratio >= THROUGHPUT_TARGET.minimumRatio ? "PASS" : "FAIL",
  };
}

/** Judges every target. */
export function judgeTargets(results: BenchResults): TargetVerdict[] {
  const verdicts = [throughputVerdict(results, "non-streaming"), throughputVerdict(results, "streaming")];
  const ttfbTarget = `time to first byte at 1 connection <= proxy + ${TTFB_TARGET_MS} ms (median)`;
  const ttfb = results.ttfb;
  verdicts.push(
    ttfb
      ? {
          target: ttfbTarget,
          measured: `${ttfb.medianDifferenceMs >= 0 ? "+" : ""}${ttfb.medianDifferenceMs.toFixed(3)} ms (${ttfb.gateway.firstByte.p50Ms.toFixed(3)} vs ${ttfb.proxy.firstByte.p50Ms.toFixed(3)} ms)`,
          status: ttfb.medianDifferenceMs <= TTFB_TARGET_MS ? "PASS" : "FAIL",
        }
      : { target: ttfbTarget, measured: "-", status: "not measured" },
  );
  const rss = results.rss;
  const rssTarget = `peak RSS under ${rss?.streams ?? 256} concurrent streams <= ${RSS_TARGET_RATIO}x proxy`;
  verdicts.push(
    rss && Number.isFinite(rss.ratio)
      ? {
          target: rssTarget,
          measured: `${rss.ratio.toFixed(2)}x (${mib(rss.gateway.peakKiB)} vs ${mib(rss.proxy.peakKiB)} MiB)`,
          status: rss.ratio <= RSS_TARGET_RATIO ? "PASS" : "FAIL",
        }
      : { target: rssTarget, measured: "-", status: "not measured" },
  );
  return verdicts;
}

/** KiB as MiB with one decimal. */
export function mib(kib: number | undefined): string {
  return kib === undefined ? "-" : (kib / 1024).toFixed(1);
}
