/**
 * Peak memory under many concurrent slow streams. Each server runs in a fresh process (so VmHWM, the
 * kernel's high-water mark of resident memory, belongs to this load alone), is warmed up with a small wave,
 * then holds `rssStreams` streams of about 3 s each open at once while its VmRSS is sampled every 25 ms.
 */
import { type BenchContext, loadgenTask, type ServerKind, startServer } from "./bench-context.js";
import type { StreamsResult } from "./concurrent-streams.js";
import { readMemory, sampleRss } from "./proc-stats.js";
import { chatRequest } from "./scenarios.js";

/** One server's memory numbers. */
export interface ServerMemory {
  /** RSS after warm-up, before the waves (KiB). */
  readonly baselineKiB: number | undefined;
  /** Highest sampled VmRSS during the waves (KiB). */
  readonly sampledPeakKiB: number | undefined;
  /** VmHWM at the end: the exact peak over the process's life (KiB). The number the target uses. */
  readonly peakKiB: number | undefined;
  /** Each wave's outcome. */
  readonly waves: readonly StreamsResult[];
}

/** The phase's results. */
export interface RssPhaseResult {
  readonly streams: number;
  readonly gateway: ServerMemory;
  readonly proxy: ServerMemory;
  /** gateway peak divided by proxy peak. */
  readonly ratio: number;
}

/** Tokens per stream: the slow mock upstream sends 20 tokens/s, so about 3.2 s per stream. */
const STREAM_TOKENS = 64;

async function measureServer(context: BenchContext, kind: ServerKind): Promise<ServerMemory> {
  const { options, log } = context;
  const server = await startServer(context, kind, "slow");
  try {
    const base = { kind: "streams", url: server.info.url, timeoutMs: 30_000 } as const;
    // Warm-up: a few short streams, so the baseline includes loaded code and warm connections.
    await loadgenTask<StreamsResult>(
      context,
      { ...base, request: chatRequest("streaming", 4), concurrency: 8 },
      40_000,
    );
    const baselineKiB = readMemory(server.pid)?.rssKiB;
    const waves: StreamsResult[] = [];
    let sampledPeakKiB = 0;
    for (let wave = 0; wave < options.rssWaves; wave++) {
      log(`  ${kind}: wave ${wave + 1}/${options.rssWaves} of ${options.rssStreams} concurrent streams...`);
      const stop = sampleRss(server.pid, 25);
      const result = await loadgenTask<StreamsResult>(
        context,
        { ...base, request: chatRequest("streaming", STREAM_TOKENS), concurrency: options.rssStreams },
        40_000,
      );
      sampledPeakKiB = Math.max(sampledPeakKiB, stop().peakKiB);
      waves.push(result);
      if (result.failed > 0) log(`  warning: ${kind}: ${result.failed} streams failed: ${result.firstError}`);
    }
    return {
      baselineKiB,
      sampledPeakKiB: sampledPeakKiB > 0 ? sampledPeakKiB : undefined,
      peakKiB: readMemory(server.pid)?.hwmKiB,
      waves,
    };
  } finally {
    await server.stop();
  }
}

/** Measures the gateway, then the proxy, each in a fresh process. */
export async function runRssPhase(context: BenchContext): Promise<RssPhaseResult> {
  const gateway = await measureServer(context, "gateway");
  const proxy = await measureServer(context, "proxy");
  return {
    streams: context.options.rssStreams,
    gateway,
    proxy,
    ratio:
      gateway.peakKiB !== undefined && proxy.peakKiB !== undefined
        ? gateway.peakKiB / proxy.peakKiB
        : Number.NaN,
  };
}
