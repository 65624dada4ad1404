/**
 * Command-line flags of the benchmark, validated once. Every number is bounded so no flag can make a run
 * unbounded (a typo such as `--duration 600` is refused rather than run for ten minutes per cell).
 */

/** The two workloads measured per connection count. */
export type ScenarioName = "non-streaming" | "streaming";

/** The parts of a run; each can be skipped. */
export type PhaseName = "throughput" | "ttfb" | "rss";

/** Everything a run needs to know, after defaults and `--quick` are applied. */
export interface BenchOptions {
  /** Measured seconds per throughput cell. @default 10 (3 with `--quick`) */
  readonly durationSeconds: number;
  /**
   * Each cell's measured time is split into this many alternating runs (gateway, proxy, proxy, gateway, ...)
   * so slow drift and other programs' bursts hit both servers alike. @default 4 (2 with `--quick`)
   */
  readonly rounds: number;
  /** Unmeasured seconds before each cell, at the same connection count. @default 2 (1 with `--quick`) */
  readonly warmupSeconds: number;
  /** Connection counts of the throughput cells. @default [1, 16, 64, 256] ([16, 64] with `--quick`) */
  readonly connections: readonly number[];
  /** Workloads of the throughput cells. @default ["non-streaming", "streaming"] */
  readonly scenarios: readonly ScenarioName[];
  /** Parts of the run. @default ["throughput", "ttfb", "rss"] */
  readonly phases: readonly PhaseName[];
  /** Sequential requests per server in the time-to-first-byte phase. @default 200 */
  readonly ttfbRequests: number;
  /** Concurrent slow streams in the memory phase. @default 256 */
  readonly rssStreams: number;
  /** Waves of concurrent streams in the memory phase (the peak is over all of them). @default 2 (1 with `--quick`) */
  readonly rssWaves: number;
  /**
   * Most CPU, in cores, that other programs may use during a measured run. Before each run the benchmark
   * waits for the machine to be this quiet, and a run during which other load exceeded it is redone (up to
   * `retries` times), both within `quietBudgetSeconds`; cells still disturbed are flagged. @default 0.35
   */
  readonly maxOtherLoad: number;
  /** Total seconds the run may spend waiting for quiet and redoing disturbed runs. @default 120 */
  readonly quietBudgetSeconds: number;
  /** Redos of a disturbed run. @default 2 */
  readonly retries: number;
  /** Pin processes to cores with taskset. @default true */
  readonly pin: boolean;
  /** Write V8 CPU profiles of the gateway and the proxy (throughput phase) to this folder. */
  readonly cpuProfileDir: string | undefined;
  /** Write the raw results as JSON to this file. */
  readonly jsonPath: string | undefined;
  /** Whether `--quick` was given (shown in the report). */
  readonly quick: boolean;
}

/** Usage text printed by `--help`. */
export const USAGE = `Usage: pnpm bench [-- flags]   (or: node benchmarks/dist/bench.js [flags])

  --quick                 ~3 s cells at 16 and 64 connections, one memory wave
  --duration <s>          measured seconds per server per cell (1-120, default 10)
  --rounds <n>            split each cell into n alternating runs per server (1-10, default 4; 2 with --quick)
  --warmup <s>            warm-up seconds before each cell (0-30, default 2)
  --connections <list>    e.g. 1,16,64 (each 1-1024, default 1,16,64,256)
  --scenarios <list>      non-streaming,streaming (default both)
  --phases <list>         throughput,ttfb,rss (default all)
  --ttfb-requests <n>     sequential requests per server for time to first byte (10-5000, default 200)
  --rss-streams <n>       concurrent slow streams for peak memory (1-1024, default 256)
  --rss-waves <n>         waves of concurrent streams (1-5, default 2)
  --max-other-load <c>    most CPU (in cores) other programs may use during a run (0.05-2, default 0.35)
  --quiet-budget <s>      total time to spend waiting for quiet and redoing runs (0-600, default 120)
  --retries <n>           redos of a run disturbed by other load (0-5, default 2)
  --no-pin                do not pin processes to cores with taskset
  --cpu-prof <dir>        write CPU profiles of the gateway and proxy throughput processes to <dir>
  --json <file>           write the raw results as JSON
  --help                  this text
`;

/** Thrown for a bad flag; the message is meant for the user. */
export class BenchUsageError extends Error {
  override readonly name = "BenchUsageError";
}

function boundedNumber(flag: string, raw: string | undefined, minimum: number, maximum: number): number {
  const value = Number(raw);
  if (raw === undefined || raw === "" || !Number.isFinite(value) || value < minimum || value > maximum) {
    throw new BenchUsageError(`${flag} takes a number from ${minimum} to ${maximum}, got '${raw ?? ""}'.`);
  }
  return value;
}

function boundedInteger(flag: string, raw: string | undefined, minimum: number, maximum: number): number {
  const value = boundedNumber(flag, raw, minimum, maximum);
  if (!Number.isInteger(value)) throw new BenchUsageError(`${flag} takes a whole number, got '${raw}'.`);
  return value;
}

function list<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[]): T[] {
  const items = (raw ?? "").split(",").filter((item) => item !== "");
  if (
    items.length === 0 ||
    !items.every((item): item is T => (allowed as readonly string[]).includes(item))
  ) {
    throw new BenchUsageError(`${flag} takes a comma-separated list of ${allowed.join(", ")}.`);
  }
  return [...new Set(items)];
}

/**
 * Parses the command line (without `node` and the script).
 *
 * @returns The options, or `"help"` when `--help` was given.
 * @throws BenchUsageError on an unknown flag or an out-of-range value.
 */
export function parseBenchOptions(argv: readonly string[]): BenchOptions | "help" {
  const given = new Map<string, string | undefined>();
  const takesValue = new Set([
    "--duration",
    "--warmup",
    "--rounds",
    "--max-other-load",
    "--quiet-budget",
    "--retries",
    "--connections",
    "--scenarios",
    "--phases",
    "--ttfb-requests",
    "--rss-streams",
    "--rss-waves",
    "--cpu-prof",
    "--json",
  ]);
  const switches = new Set(["--quick", "--no-pin", "--help", "-h"]);
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    // pnpm passes a lone "--" through when the user writes `pnpm bench -- --quick`.
    if (argument === "--") continue;
    const equals = argument.indexOf("=");
    const flag = equals === -1 ? argument : argument.slice(0, equals);
    if (switches.has(flag)) {
      given.set(flag, undefined);
    } else if (takesValue.has(flag)) {
      const value = equals === -1 ? argv[++index] : argument.slice(equals + 1);
      given.set(flag, value);
    } else {
      throw new BenchUsageError(`Unknown flag '${argument}'.\n\n${USAGE}`);
    }
  }
  if (given.has("--help") || given.has("-h")) return "help";
  const quick = given.has("--quick");
  const durationRaw = given.get("--duration");
  const warmupRaw = given.get("--warmup");
  const connectionsRaw = given.get("--connections");
  const wavesRaw = given.get("--rss-waves");
  const connections = connectionsRaw
    ? connectionsRaw.split(",").map((item) => boundedInteger("--connections", item, 1, 1024))
    : quick
      ? [16, 64]
      : [1, 16, 64, 256];
  return Object.freeze({
    durationSeconds:
      durationRaw !== undefined ? boundedNumber("--duration", durationRaw, 1, 120) : quick ? 3 : 10,
    rounds: given.has("--rounds") ? boundedInteger("--rounds", given.get("--rounds"), 1, 10) : quick ? 2 : 4,
    warmupSeconds: warmupRaw !== undefined ? boundedNumber("--warmup", warmupRaw, 0, 30) : quick ? 1 : 2,
    connections: Object.freeze([...new Set(connections)]),
    scenarios: Object.freeze(
      given.has("--scenarios")
        ? list("--scenarios", given.get("--scenarios"), ["non-streaming", "streaming"] as const)
        : (["non-streaming", "streaming"] as const),
    ),
    phases: Object.freeze(
      given.has("--phases")
        ? list("--phases", given.get("--phases"), ["throughput", "ttfb", "rss"] as const)
        : (["throughput", "ttfb", "rss"] as const),
    ),
    ttfbRequests: given.has("--ttfb-requests")
      ? boundedInteger("--ttfb-requests", given.get("--ttfb-requests"), 10, 5000)
      : 200,
    rssStreams: given.has("--rss-streams")
      ? boundedInteger("--rss-streams", given.get("--rss-streams"), 1, 1024)
      : 256,
    rssWaves: wavesRaw !== undefined ? boundedInteger("--rss-waves", wavesRaw, 1, 5) : quick ? 1 : 2,
    maxOtherLoad: given.has("--max-other-load")
      ? boundedNumber("--max-other-load", given.get("--max-other-load"), 0.05, 2)
      : 0.35,
    quietBudgetSeconds: given.has("--quiet-budget")
      ? boundedNumber("--quiet-budget", given.get("--quiet-budget"), 0, 600)
      : 120,
    retries: given.has("--retries") ? boundedInteger("--retries", given.get("--retries"), 0, 5) : 2,
    pin: !given.has("--no-pin"),
    cpuProfileDir: requiredValue("--cpu-prof", given),
    jsonPath: requiredValue("--json", given),
    quick,
  });
}

function requiredValue(flag: string, given: ReadonlyMap<string, string | undefined>): string | undefined {
  if (!given.has(flag)) return undefined;
  const value = given.get(flag);
  if (value === undefined || value === "" || value.startsWith("--")) {
    throw new BenchUsageError(`${flag} takes a path.`);
  }
  return value;
}
