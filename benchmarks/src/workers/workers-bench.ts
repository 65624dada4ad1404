/**
 * What `switchyard serve --workers N` buys: requests per second through the CLI with 1 worker and with 2
 * (or any counts), same config, same mock upstream, same load.
 *
 * Processes: this script (autocannon, the load generator), a forked mock upstream (this file with the
 * role `upstream`), and `node packages/cli/dist/bin.js serve --workers N` (the primary and its workers).
 * Counts run interleaved round after round (1, 2, 2, 1, ...), each round against a freshly started
 * gateway after a warm-up, so drift in the machine's other load hits every count alike. Per count it
 * reports req/s, p50/p99 latency, non-2xx answers and the CPU the gateway's processes (primary and
 * workers) spent per request, read from /proc (Linux only; blank elsewhere).
 *
 * Self-contained. Build the CLI and this package first:
 *   pnpm exec tsc -b packages/cli && pnpm --filter @switchyard/benchmarks exec tsc -b \
 *     && node benchmarks/dist/workers/workers-bench.js [--workers 1,2] [--connections 64] \
 *        [--duration 10] [--warmup 2] [--rounds 2] [--stream]
 * Traffic goes to 127.0.0.1 only, and every run stops by itself.
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createMockUpstream } from "@switchyard/provider-mock";
import autocannon from "autocannon";

const thisFile = fileURLToPath(import.meta.url);
const cliBin = fileURLToPath(new URL("../../../packages/cli/dist/bin.js", import.meta.url));
const CLOCK_TICKS_PER_SECOND = 100;

if (process.argv[2] === "upstream") {
  // The mock upstream: answers at once (no latency, fast token pacing), so the gateway is the bottleneck.
  const upstream = await createMockUpstream({ port: 0, record: false, tokensPerSecond: 100_000 });
  process.send?.({ url: upstream.url });
  process.on("disconnect", () => void upstream.close().then(() => process.exit(0)));
} else {
  await main();
}

interface Measurement {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  /** CPU seconds of the gateway's processes per 2xx request, in µs; undefined without /proc. */
  readonly cpuMicrosPerRequest: number | undefined;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      workers: { type: "string", default: "1,2" },
      connections: { type: "string", default: "64" },
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "2" },
      rounds: { type: "string", default: "2" },
      stream: { type: "boolean", default: false },
    },
  });
  const counts = (values.workers as string).split(",").map(Number);
  const connections = Number(values.connections);
  const duration = Number(values.duration);
  const warmup = Number(values.warmup);
  const rounds = Number(values.rounds);
  const stream = values.stream === true;

  const upstream = fork(thisFile, ["upstream"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const upstreamUrl = await new Promise<string>((resolve) =>
    upstream.once("message", (message: { url: string }) => resolve(message.url)),
  );
  const directory = mkdtempSync(join(tmpdir(), "switchyard-workers-bench-"));
  const config = join(directory, "bench.json");
  writeFileSync(
    config,
    JSON.stringify({
      providers: [
        { type: "openai", name: "up", baseURL: `${upstreamUrl}/v1`, apiKey: "sk-bench", models: ["mock-1"] },
      ],
      telemetry: { requestLog: false },
      log: { level: "error" },
    }),
  );
  const results = new Map<number, Measurement[]>(counts.map((count) => [count, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      // ABBA: alternate the order each round.
      const order = round % 2 === 0 ? counts : [...counts].reverse();
      for (const count of order) {
        process.stderr.write(`round ${round + 1}/${rounds}: ${count} worker(s)... `);
        const measurement = await measure(config, count, { connections, duration, warmup, stream });
        results.get(count)?.push(measurement);
        process.stderr.write(`${measurement.requestsPerSecond.toFixed(0)} req/s\n`);
      }
    }
  } finally {
    upstream.disconnect();
    rmSync(directory, { recursive: true, force: true });
  }
  report(results, { connections, duration, rounds, stream });
}

async function measure(
  config: string,
  workers: number,
  load: { connections: number; duration: number; warmup: number; stream: boolean },
): Promise<Measurement> {
  const gateway = spawn(
    process.execPath,
    [cliBin, "serve", "--config", config, "--port", "0", "--workers", String(workers)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  try {
    const url = await listening(gateway);
    const body = JSON.stringify({
      model: "mock-1",
      stream: load.stream,
      messages: [{ role: "user", content: "Where does the night train go?" }],
    });
    const request = {
      url: `${url}/v1/chat/completions`,
      method: "POST" as const,
      headers: { "content-type": "application/json" },
      body,
      connections: load.connections,
      timeout: 10,
    };
    if (load.warmup > 0) await autocannon({ ...request, duration: load.warmup });
    const pids = processTree(gateway.pid as number);
    const cpuBefore = cpuTicks(pids);
    const result = await autocannon({ ...request, duration: load.duration });
    const cpuAfter = cpuTicks(pids);
    const ok = result["2xx"];
    return {
      requestsPerSecond: ok / load.duration,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      cpuMicrosPerRequest:
        cpuBefore === undefined || cpuAfter === undefined || ok === 0
          ? undefined
          : (((cpuAfter - cpuBefore) / CLOCK_TICKS_PER_SECOND) * 1e6) / ok,
    };
  } finally {
    gateway.kill("SIGTERM");
    await new Promise((resolve) => gateway.once("exit", resolve));
  }
}

function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => reject(new Error(`the gateway did not start within 60 s:\n${output}`)),
      60_000,
    );
    child.stdout?.setEncoding("utf8").on("data", (text: string) => {
      output += text;
      // With workers the primary prints the banner once every worker listens.
      const match = /Switchyard listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.once("exit", (code) => reject(new Error(`the gateway exited (code ${code}):\n${output}`)));
  });
}

/** The process and its children (the cluster workers), from /proc; just the pid elsewhere. */
function processTree(root: number): number[] {
  try {
    const pids = [root];
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readStat(Number(entry));
      if (stat?.parent === root) pids.push(Number(entry));
    }
    return pids;
  } catch {
    return [root];
  }
}

/** utime + stime of the processes, in clock ticks; undefined without /proc. */
function cpuTicks(pids: readonly number[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat === undefined) return undefined;
    total += stat.ticks;
  }
  return total;
}

function readStat(pid: number): { parent: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function report(
  results: ReadonlyMap<number, Measurement[]>,
  run: { connections: number; duration: number; rounds: number; stream: boolean },
): void {
  const baseline = median(
    (results.get([...results.keys()][0] as number) ?? []).map((m) => m.requestsPerSecond),
  );
  const lines = [
    `${run.stream ? "streaming" : "non-streaming"} chat, ${run.connections} connections, ${run.rounds} x ${run.duration} s per count (median of rounds)`,
    "",
    "| workers | req/s | vs first | p50 / p99 ms | non-2xx | errors | gateway CPU µs/req |",
    "| ------- | ----- | -------- | ------------ | ------- | ------ | ------------------ |",
  ];
  for (const [count, measurements] of results) {
    const rps = median(measurements.map((m) => m.requestsPerSecond));
    const cpu = measurements
      .map((m) => m.cpuMicrosPerRequest)
      .filter((value): value is number => value !== undefined);
    lines.push(
      `| ${count} | ${rps.toFixed(0)} | ${(rps / baseline).toFixed(2)}x | ${median(measurements.map((m) => m.p50Ms)).toFixed(1)} / ${median(measurements.map((m) => m.p99Ms)).toFixed(1)} | ${measurements.reduce((sum, m) => sum + m.non2xx, 0)} | ${measurements.reduce((sum, m) => sum + m.errors, 0)} | ${cpu.length > 0 ? median(cpu).toFixed(0) : "-"} |`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}
