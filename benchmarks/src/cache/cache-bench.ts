/**
 * What the response cache buys: requests per second for a cache hit against the gateway's pass-through to
 * the upstream, and what the cache costs on a miss.
 *
 * Modes (one gateway each, same mock upstream):
 * - `pass-through`: no cache plugin; every request goes to the mock upstream over loopback.
 * - `miss`: the cache plugin with every request distinct (a counter in the prompt): hashing, the store
 *   write and the stream tee, on top of pass-through.
 * - `hit`: the cache plugin, the same request again and again: answered from the memory store.
 *
 * 1. In process (`--only handle`): `gateway.handle()` one request at a time and 32 at a time; reports ns
 *    and CPU ns per request. Steady even on a shared machine.
 * 2. Over HTTP (`--only http`): autocannon -> gateway (node adapter) -> mock upstream, one process each;
 *    req/s, p50/p99 and the gateway process's CPU per request. Modes run interleaved, round after round.
 *
 * Self-contained: this file is the parent and, forked with a role, the mock upstream and the gateway. It
 * loads @switchyard/cache from the workspace's dist/, so build first:
 *   pnpm exec tsc -b packages/cache && pnpm --filter @switchyard/benchmarks exec tsc -b \
 *     && node benchmarks/dist/cache/cache-bench.js [--only handle|http] [--stream] [--duration 5]
 *     [--rounds 3] [--connections 16] [--iterations 5000]
 * Traffic goes to 127.0.0.1 only, and every run stops by itself.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createGateway, type Gateway, type Plugin, silentLogger } from "@switchyard/core";
import { listen } from "@switchyard/http/node";
import { createMockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import autocannon from "autocannon";

const MODES = {
  "pass-through": "no cache: every request goes to the upstream",
  miss: "cache on, every request distinct: all misses (hash, store write, stream tee)",
  hit: "cache on, the same request: all hits from the memory store",
} as const;
type Mode = keyof typeof MODES;

/** The few shapes of @switchyard/cache this script uses (loaded from dist/ by path). */
interface CacheModule {
  createCachePlugin(options?: { coalesce?: boolean }): Plugin & { stats(): { hits: number; misses: number } };
}

const repoRoot = new URL("../../../", import.meta.url);
const loadCache = async (): Promise<CacheModule> =>
  (await import(new URL("packages/cache/dist/index.js", repoRoot).href)) as CacheModule;

type Ready = { readonly url: string };
type CpuReading = { readonly cpuMicros: number };
const thisFile = fileURLToPath(import.meta.url);
const role = process.argv[2];

const prompt = "Where does the night train go?";
let sequence = 0;
function body(mode: Mode, stream: boolean): string {
  // Misses need distinct requests; the others repeat one.
  const content = mode === "miss" ? `${prompt} #${sequence++}` : prompt;
  return JSON.stringify({
    model: "mock-1",
    messages: [{ role: "user", content }],
    ...(stream ? { stream: true } : {}),
  });
}

async function gatewayFor(mode: Mode, upstreamUrl: string): Promise<Gateway> {
  const plugins: Plugin[] = [];
  // Coalescing off: the concurrent load sends identical requests, and this measures the cache alone.
  if (mode !== "pass-through") plugins.push((await loadCache()).createCachePlugin({ coalesce: false }));
  return createGateway({
    logger: silentLogger,
    telemetry: false,
    retry: false,
    providers: [createOpenAIProvider({ name: "up", baseURL: `${upstreamUrl}/v1`, models: ["mock-1"] })],
    plugins,
  });
}

// --- children ---------------------------------------------------------------------------------------

async function runUpstream(): Promise<void> {
  const upstream = await createMockUpstream({ host: "127.0.0.1", port: 0, record: false });
  process.send?.({ url: upstream.url } satisfies Ready);
  process.on("message", () => {
    void upstream.close().then(() => process.exit(0));
  });
}

async function runGateway(mode: Mode, upstreamUrl: string): Promise<void> {
  const server = await listen(await gatewayFor(mode, upstreamUrl), { port: 0, graceMs: 1_000 });
  process.send?.({ url: server.url } satisfies Ready);
  process.on("message", (message) => {
    if (message === "cpu") {
      const usage = process.cpuUsage();
      process.send?.({ cpuMicros: usage.user + usage.system } satisfies CpuReading);
      return;
    }
    void server.close().then(() => process.exit(0));
  });
}

// --- part 1: in process ------------------------------------------------------------------------------

async function drain(gateway: Gateway, payload: string): Promise<void> {
  const response = await gateway.handle({
    method: "POST",
    path: "/v1/chat/completions",
    headers: { "content-type": "application/json" },
    body: payload,
    signal: new AbortController().signal,
  });
  if (response.status !== 200) throw new Error(`status ${response.status}`);
  const answer = response.body;
  if (answer !== null && typeof answer === "object" && Symbol.asyncIterator in answer) {
    for await (const _chunk of answer as AsyncIterable<Uint8Array>);
  }
}

async function handlePart(modes: readonly Mode[], iterations: number, stream: boolean): Promise<void> {
  const upstream = await createMockUpstream({ host: "127.0.0.1", port: 0, record: false });
  const lines = [
    `In process: gateway.handle(), ${stream ? "streamed" : "non-streamed"} chat, ${iterations} requests per cell after a warm-up. Node ${process.version}.`,
    "",
    "| mode | at a time | req/s | µs/request (wall) | CPU µs/request | what |",
    "|---|---:|---:|---:|---:|---|",
  ];
  try {
    for (const concurrency of [1, 32]) {
      for (const mode of modes) {
        const gateway = await gatewayFor(mode, upstream.url);
        const run = async (count: number) => {
          let next = 0;
          await Promise.all(
            Array.from({ length: concurrency }, async () => {
              while (next++ < count) await drain(gateway, body(mode, stream));
            }),
          );
        };
        await run(Math.min(1_000, iterations));
        const cpuBefore = process.cpuUsage();
        const started = process.hrtime.bigint();
        await run(iterations);
        const wallNs = Number(process.hrtime.bigint() - started) / iterations;
        const cpu = process.cpuUsage(cpuBefore);
        const cpuMicros = (cpu.user + cpu.system) / iterations;
        lines.push(
          `| ${mode} | ${concurrency} | ${(1e9 / wallNs).toFixed(0)} | ${(wallNs / 1_000).toFixed(1)} | ${cpuMicros.toFixed(1)} | ${MODES[mode]} |`,
        );
        process.stderr.write(`${mode} x${concurrency}: ${(1e9 / wallNs).toFixed(0)} req/s\n`);
        await gateway.close({ graceMs: 0 });
      }
    }
  } finally {
    await upstream.close();
  }
  process.stdout.write(`${lines.join("\n")}\n\n`);
}

// --- part 2: over HTTP -------------------------------------------------------------------------------

interface Run {
  readonly requestsPerSecond: number;
  readonly cpuMicrosPerRequest: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failed: number;
}

async function httpPart(
  modes: readonly Mode[],
  settings: { duration: number; rounds: number; connections: number; stream: boolean },
): Promise<void> {
  const upstream = await start(["upstream"]);
  const runs = new Map<Mode, Run[]>(modes.map((mode) => [mode, []]));
  try {
    for (let round = 0; round < settings.rounds; round++) {
      const order = modes.map((_mode, index) => modes[(index + round) % modes.length] as Mode);
      for (const mode of order) {
        const gateway = await start(["gateway", mode, upstream.ready.url]);
        try {
          await load(gateway.ready.url, mode, 1, settings); // warm-up, not counted
          const before = await cpu(gateway.child);
          const measured = await load(gateway.ready.url, mode, settings.duration, settings);
          const after = await cpu(gateway.child);
          const run = { ...measured, cpuMicrosPerRequest: (after - before) / Math.max(1, measured.total) };
          runs.get(mode)?.push(run);
          process.stderr.write(
            `round ${round + 1}/${settings.rounds} ${mode.padEnd(12)} ${run.requestsPerSecond.toFixed(0)} req/s, ` +
              `${run.cpuMicrosPerRequest.toFixed(0)} µs CPU per request\n`,
          );
        } finally {
          await stop(gateway.child);
        }
      }
    }
  } finally {
    await stop(upstream.child);
  }
  const base = median((runs.get("pass-through") ?? []).map((run) => run.requestsPerSecond));
  const lines = [
    `Over HTTP: ${settings.stream ? "streamed" : "non-streamed"} chat, ${settings.connections} connections, ` +
      `${settings.rounds} rounds of ${settings.duration} s per mode (medians). Node ${process.version}.`,
    "",
    "| mode | req/s | vs pass-through | gateway CPU µs/request | p50 ms | p99 ms | failed | what |",
    "|---|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const [mode, modeRuns] of runs) {
    const rate = median(modeRuns.map((run) => run.requestsPerSecond));
    lines.push(
      `| ${mode} | ${rate.toFixed(0)} | ${base > 0 ? `${(rate / base).toFixed(2)}×` : "–"} | ` +
        `${median(modeRuns.map((run) => run.cpuMicrosPerRequest)).toFixed(0)} | ` +
        `${median(modeRuns.map((run) => run.p50Ms))} | ${median(modeRuns.map((run) => run.p99Ms))} | ` +
        `${modeRuns.reduce((sum, run) => sum + run.failed, 0)} | ${MODES[mode]} |`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

function load(
  url: string,
  mode: Mode,
  seconds: number,
  settings: { connections: number; stream: boolean },
): Promise<Omit<Run, "cpuMicrosPerRequest"> & { total: number }> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${url}/v1/chat/completions`,
        connections: settings.connections,
        duration: seconds,
        timeout: 10,
        requests: [
          {
            method: "POST",
            headers: { "content-type": "application/json" },
            // A fresh body per request, so `miss` never repeats one.
            setupRequest: (request) => ({ ...request, body: body(mode, settings.stream) }),
          },
        ],
      },
      (error, result) => {
        if (error) reject(error);
        else
          resolve({
            requestsPerSecond: result.requests.average,
            total: result.requests.total,
            p50Ms: result.latency.p50,
            p99Ms: result.latency.p99,
            failed: result.non2xx + result.errors + result.timeouts,
          });
      },
    );
  });
}

async function start(args: string[]): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = fork(thisFile, args, { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once("message", (message) => resolve(message as Ready));
    child.once("exit", (code) => reject(new Error(`${args[0]} exited (${code}) before it was ready`)));
  });
  return { child, ready };
}

function cpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once("message", (message) => resolve((message as CpuReading).cpuMicros));
    child.send("cpu");
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.send("stop");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

async function runParent(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      iterations: { type: "string", default: "5000" },
      duration: { type: "string", default: "5" },
      rounds: { type: "string", default: "3" },
      connections: { type: "string", default: "16" },
      stream: { type: "boolean", default: false },
      modes: { type: "string", default: Object.keys(MODES).join(",") },
    },
  });
  const modes = values.modes.split(",") as Mode[];
  for (const mode of modes) if (!(mode in MODES)) throw new Error(`unknown mode '${mode}'`);
  if (values.only !== "http") await handlePart(modes, Number(values.iterations), values.stream);
  if (values.only !== "handle") {
    await httpPart(modes, {
      duration: Number(values.duration),
      rounds: Number(values.rounds),
      connections: Number(values.connections),
      stream: values.stream,
    });
  }
}

// Last, so every module-level constant above is initialised before a role runs.
if (role === "upstream") await runUpstream();
else if (role === "gateway") await runGateway(process.argv[3] as Mode, process.argv[4] as string);
else await runParent();
