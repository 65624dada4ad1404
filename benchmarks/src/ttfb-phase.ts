/**
 * Time to first streamed byte at one connection, gateway against proxy, against a paced mock upstream (the
 * role chunk goes out at once, content follows at 1000 tokens/s) so the first byte is the first event, not
 * the whole stream.
 */
import { type BenchContext, loadgenTask, startServer } from "./bench-context.js";
import { checkServers } from "./check-servers.js";
import type { TtfbResult } from "./measure-ttfb.js";
import { startCpuUsage } from "./proc-stats.js";
import { waitForQuiet } from "./quiet-machine.js";
import { chatRequest } from "./scenarios.js";
import { type LatencySummary, median } from "./stats.js";

/** The phase's results. */
export interface TtfbPhaseResult {
  readonly requests: number;
  readonly gateway: { readonly firstByte: LatencySummary; readonly complete: LatencySummary };
  readonly proxy: { readonly firstByte: LatencySummary; readonly complete: LatencySummary };
  /** gateway median minus proxy median, ms: what the target is judged on. */
  readonly medianDifferenceMs: number;
  /**
   * Median over rounds of (gateway - proxy) first-byte time, the two requests of a round being sent one
   * right after the other: less sensitive to slow drift than the difference of medians.
   */
  readonly pairedMedianDifferenceMs: number;
  /** CPU used by other programs during the sequence, in cores. */
  readonly otherCores: number | undefined;
}

/** Max tokens per TTFB request: short streams keep the sequence quick (about 8 ms each). */
const TTFB_MAX_TOKENS = 8;
const WARMUP_REQUESTS = 50;

/** Runs the interleaved time-to-first-byte sequence against fresh servers. */
export async function runTtfbPhase(context: BenchContext): Promise<TtfbPhaseResult> {
  const { options } = context;
  const gateway = await startServer(context, "gateway", "paced");
  const proxy = await startServer(context, "proxy", "paced");
  try {
    const request = chatRequest("streaming", TTFB_MAX_TOKENS);
    await checkServers(
      context,
      { gateway: gateway.info.url, proxy: proxy.info.url },
      ["streaming"],
      () => request,
    );
    const ownPids = {
      gateway: gateway.pid,
      proxy: proxy.pid,
      upstream: context.upstream.pid,
      loadgen: context.loadgen.pid,
      parent: process.pid,
    };
    const wait = await waitForQuiet(ownPids, options.maxOtherLoad, context.quietBudget);
    if (!wait.quiet && wait.waitedSeconds > 0)
      context.log(`  machine still busy (other load ${wait.otherCores?.toFixed(2)} cores): measuring anyway`);
    const stop = startCpuUsage(ownPids);
    const result = await loadgenTask<TtfbResult>(
      context,
      {
        kind: "ttfb",
        targets: { gateway: gateway.info.url, proxy: proxy.info.url },
        request,
        requests: options.ttfbRequests,
        warmupRequests: WARMUP_REQUESTS,
      },
      // 2 servers x (requests + warm-up) x at most 10 s each is the hard bound; this one is practical.
      (options.ttfbRequests + WARMUP_REQUESTS) * 2 * 200 + 30_000,
    );
    const { otherCores } = stop();
    const gatewayResult = result.gateway;
    const proxyResult = result.proxy;
    if (!gatewayResult || !proxyResult) throw new Error("time-to-first-byte result is missing a server");
    const paired = gatewayResult.firstByteSamplesMs.map(
      (gatewayMs, round) => gatewayMs - (proxyResult.firstByteSamplesMs[round] ?? Number.NaN),
    );
    return {
      requests: options.ttfbRequests,
      gateway: { firstByte: gatewayResult.firstByte, complete: gatewayResult.complete },
      proxy: { firstByte: proxyResult.firstByte, complete: proxyResult.complete },
      medianDifferenceMs: gatewayResult.firstByte.p50Ms - proxyResult.firstByte.p50Ms,
      pairedMedianDifferenceMs: median(paired),
      otherCores,
    };
  } finally {
    await Promise.all([gateway.stop(), proxy.stop()]);
  }
}
