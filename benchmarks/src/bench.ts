/**
 * The load benchmark: Switchyard gateway against a minimal node:http + undici proxy, in one run on one
 * machine. Starts the mock upstream(s) and the load generator as child processes, then runs the phases
 * (throughput cells, time to first byte, peak memory under concurrent streams), prints Markdown tables and a
 * PASS/FAIL per target. It is run on demand (`pnpm bench`), never as part of the test suite.
 *
 * Bounded: every cell has a fixed duration, every task a deadline, the whole run a deadline, and every child
 * process is killed when the run ends, fails or is interrupted.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type BenchContext, scriptPath } from "./bench-context.js";
import { type BenchOptions, BenchUsageError, parseBenchOptions, USAGE } from "./bench-options.js";
import { ChildProcessGroup } from "./child-process-group.js";
import { pinSelf, planCores } from "./cpu-pinning.js";
import type { UpstreamReadyInfo } from "./ipc-protocol.js";
import { describeMachine } from "./machine-info.js";
import { QuietBudget } from "./quiet-machine.js";
import { formatHeader, formatResults } from "./report.js";
import { runRssPhase } from "./rss-phase.js";
import type { BenchResults } from "./targets.js";
import { runThroughputPhase } from "./throughput-phase.js";
import { runTtfbPhase } from "./ttfb-phase.js";
import type { UpstreamProcessConfig } from "./upstream-process.js";

const UPSTREAMS: UpstreamProcessConfig = {
  upstreams: {
    // Throughput: answers as fast as it can (16-token replies, streams written in one go).
    fast: {},
    // Time to first byte: the role chunk at once, then 1000 tokens/s.
    paced: { tokensPerSecond: 1000 },
    // Memory: 20 tokens/s, so a 64-token stream stays open for about 3 s.
    slow: { tokensPerSecond: 20, replyTokens: 64 },
  },
};

/** A generous upper bound of the run's length, in seconds: past it the run is aborted. */
function runDeadlineSeconds(options: BenchOptions): number {
  const has = (phase: string) => options.phases.includes(phase as BenchOptions["phases"][number]);
  const cells = options.scenarios.length * options.connections.length * 2;
  const throughput = has("throughput") ? cells * (options.durationSeconds + options.warmupSeconds + 2) : 0;
  const ttfb = has("ttfb") ? ((options.ttfbRequests + 50) * 2 * 20) / 1000 + 10 : 0;
  const rss = has("rss") ? 2 * (options.rssWaves * 5 + 10) : 0;
  return Math.ceil((throughput + ttfb + rss) * 2 + options.quietBudgetSeconds + 120);
}

// Paths on the command line are relative to where the user ran `pnpm bench`, not to benchmarks/.
function fromUserDirectory(path: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), path);
}

async function main(): Promise<void> {
  let parsed: BenchOptions | "help";
  try {
    parsed = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof BenchUsageError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  if (parsed === "help") {
    process.stdout.write(USAGE);
    return;
  }
  const options: BenchOptions = {
    ...parsed,
    cpuProfileDir: parsed.cpuProfileDir && fromUserDirectory(parsed.cpuProfileDir),
    jsonPath: parsed.jsonPath && fromUserDirectory(parsed.jsonPath),
  };
  if (options.cpuProfileDir) mkdirSync(options.cpuProfileDir, { recursive: true });

  const machine = describeMachine();
  const cores = planCores(options.pin);
  pinSelf(cores);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const deadline = runDeadlineSeconds(options);
  log(`switchyard benchmark: ${cores.description}; aborts if it runs longer than ${deadline} s`);

  const group = new ChildProcessGroup();
  const timer = setTimeout(() => {
    log(`the run exceeded its ${deadline} s deadline: aborting`);
    group.killAll();
    process.exit(1);
  }, deadline * 1000);
  timer.unref();
  try {
    const clientPin = { core: cores.clientCore, taskset: cores.taskset };
    const upstream = await group.spawn<UpstreamReadyInfo>({
      name: "mock upstream",
      script: scriptPath("upstream-process.js"),
      config: UPSTREAMS,
      ...clientPin,
    });
    const loadgen = await group.spawn<{ pid: number }>({
      name: "load generator",
      script: scriptPath("loadgen-process.js"),
      config: {},
      ...clientPin,
    });
    const quietBudget = new QuietBudget(options.quietBudgetSeconds);
    const context: BenchContext = { options, cores, group, upstream, loadgen, quietBudget, log };
    const results: { -readonly [Key in keyof BenchResults]: BenchResults[Key] } = {};
    if (options.phases.includes("throughput")) {
      log("throughput cells:");
      results.throughput = await runThroughputPhase(context);
    }
    if (options.phases.includes("ttfb")) {
      log("time to first byte...");
      results.ttfb = await runTtfbPhase(context);
    }
    if (options.phases.includes("rss")) {
      log("peak RSS under concurrent streams:");
      results.rss = await runRssPhase(context);
    }
    process.stdout.write(`${formatHeader(machine, cores, options)}\n\n${formatResults(results)}\n`);
    if (options.jsonPath) {
      mkdirSync(dirname(options.jsonPath), { recursive: true });
      writeFileSync(options.jsonPath, `${JSON.stringify({ machine, cores, options, results }, null, 2)}\n`);
      log(`raw results written to ${options.jsonPath}`);
    }
    if (options.cpuProfileDir) {
      log(
        `CPU profiles in ${options.cpuProfileDir}; summarise with: node benchmarks/dist/summarise-profile.js <file>`,
      );
    }
    await Promise.all([upstream.stop(), loadgen.stop()]);
  } finally {
    clearTimeout(timer);
    group.killAll();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
