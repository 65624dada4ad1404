/**
 * The cost of telemetry, in two parts.
 *
 * 1. In process (`--only events`): the telemetry plugin's own work per request. A synthetic request's
 *    events (request:start, attempt:start, attempt:end, request:end) are emitted on a gateway with
 *    telemetry off, on with no OpenTelemetry SDK (the default: no-op API), on with the request log, and
 *    on with the SDK started by @switchyard/otel (spans to a counting span processor, metrics to the
 *    Prometheus exporter). Reports ns per request: exact and steady even on a shared machine.
 * 2. Over HTTP (`--only http`): requests per second, latency and the gateway process's CPU time per
 *    request through a real stack (autocannon -> gateway -> mock upstream, one process each) in the same
 *    four modes. On a machine others share these numbers move with their load; read part 1 for the cost.
 *
 * Self-contained: this one file is the parent and, forked with a role, the mock upstream and the gateway
 * under test. Modes run interleaved, round after round, so drift in load spreads over all of them; the
 * report gives each mode's median.
 *
 *   node dist/telemetry/telemetry-bench.js [--only events|http] [--duration 5] [--rounds 3]
 *     [--connections 16] [--stream] [--iterations 20000]
 *
 * Traffic goes to 127.0.0.1 only, and every run stops by itself after `duration` seconds.
 */
import { type ChildProcess, fork } from "node:child_process";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  type AttemptRecord,
  createGateway,
  createJsonLogger,
  type Gateway,
  type Logger,
  type Provider,
  type RequestContext,
  silentLogger,
} from "@switchyard/core";
import { listen } from "@switchyard/http/node";
import { type StartTelemetryOptions, startTelemetry, type Telemetry } from "@switchyard/otel";
import { createMockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import autocannon from "autocannon";

const MODES = {
  off: "telemetry: false",
  "no-sdk": "telemetry on, no SDK (the default), request log to a silent logger",
  "no-sdk+log": "telemetry on, no SDK, request log as JSON lines (stderr to /dev/null)",
  sdk: "telemetry on, SDK: spans to a counting processor, metrics to Prometheus",
} as const;
type Mode = keyof typeof MODES;

type Ready = { readonly url: string };
/** The gateway child's answer to "cpu": its CPU time so far, in microseconds. */
type CpuReading = { readonly cpuMicros: number };
const thisFile = fileURLToPath(import.meta.url);
const role = process.argv[2];

// --- child: the mock upstream -------------------------------------------------------------------

async function runUpstream(): Promise<void> {
  const upstream = await createMockUpstream({ host: "127.0.0.1", port: 0, record: false });
  process.send?.({ url: upstream.url } satisfies Ready);
  process.on("message", () => {
    void upstream.close().then(() => process.exit(0));
  });
}

// --- child: the gateway under test ---------------------------------------------------------------

type SpanProcessor = NonNullable<StartTelemetryOptions["spanProcessors"]>[number];

// Takes every ended span, as an exporter's processor would, and only counts it: the SDK's work (ids,
// attributes, timing) is measured; an exporter's serialisation, which runs off the request path, is not.
function countingProcessor(): SpanProcessor & { ended: number } {
  return {
    ended: 0,
    onStart() {},
    onEnd() {
      this.ended++;
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  };
}

async function runGateway(mode: Mode, upstreamUrl: string): Promise<void> {
  let telemetry: Telemetry | undefined;
  if (mode === "sdk") {
    telemetry = await startTelemetry({
      serviceName: "switchyard-bench",
      prometheus: {},
      spanProcessors: [countingProcessor()],
      detectResources: false,
    });
  }
  const gateway: Gateway = createGateway({
    logger: mode === "no-sdk+log" ? createJsonLogger("info") : silentLogger,
    telemetry: mode === "off" ? false : {},
    retry: false,
    providers: [createOpenAIProvider({ name: "up", baseURL: `${upstreamUrl}/v1`, models: ["mock-1"] })],
  });
  const server = await listen(gateway, { port: 0, graceMs: 1_000 });
  process.send?.({ url: server.url } satisfies Ready);
  process.on("message", (message) => {
    if (message === "cpu") {
      const usage = process.cpuUsage();
      process.send?.({ cpuMicros: usage.user + usage.system } satisfies CpuReading);
      return;
    }
    void server
      .close()
      .then(() => telemetry?.shutdown())
      .then(() => process.exit(0));
  });
}

// --- parent: drive the load -----------------------------------------------------------------------

interface Run {
  readonly requestsPerSecond: number;
  /** The gateway process's CPU time per request: steadier than req/s on a machine others share. */
  readonly cpuMicrosPerRequest: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failed: number;
}

async function runParent(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      iterations: { type: "string", default: "20000" },
      duration: { type: "string", default: "5" },
      rounds: { type: "string", default: "3" },
      connections: { type: "string", default: "16" },
      stream: { type: "boolean", default: false },
      modes: { type: "string", default: Object.keys(MODES).join(",") },
    },
  });
  const duration = Number(values.duration);
  const rounds = Number(values.rounds);
  const connections = Number(values.connections);
  const modes = values.modes.split(",") as Mode[];
  for (const mode of modes) if (!(mode in MODES)) throw new Error(`unknown mode '${mode}'`);
  if (values.only !== "http") await eventsPart(modes, rounds, Number(values.iterations));
  if (values.only !== "events")
    await httpPart(modes, { duration, rounds, connections, stream: values.stream });
}

async function httpPart(
  modes: readonly Mode[],
  settings: { duration: number; rounds: number; connections: number; stream: boolean },
): Promise<void> {
  const { duration, rounds, connections, stream } = settings;

  const upstream = await start(["upstream"]);
  const runs = new Map<Mode, Run[]>(modes.map((mode) => [mode, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      // Rotate the order each round so no mode always runs first (or last) after a change of load.
      const order = modes.map((_mode, index) => modes[(index + round) % modes.length] as Mode);
      for (const mode of order) {
        const gateway = await start(["gateway", mode, upstream.ready.url]);
        try {
          await load(gateway.ready.url, 1, connections, stream); // warm-up, not counted
          const before = await cpu(gateway.child);
          const measured = await load(gateway.ready.url, duration, connections, stream);
          const after = await cpu(gateway.child);
          const run = { ...measured, cpuMicrosPerRequest: (after - before) / Math.max(1, measured.total) };
          runs.get(mode)?.push(run);
          process.stderr.write(
            `round ${round + 1}/${rounds} ${mode.padEnd(10)} ${run.requestsPerSecond.toFixed(0)} req/s, ` +
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
  report(runs, settings);
}

// --- part 1: the plugin's work per request, in process ---------------------------------------------

// A logger that formats like the JSON logger but writes to nowhere: the cost of building the line.
function nullJsonLogger(): Logger {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const write = (object: Record<string, unknown>, message?: string) => {
    sink.write(
      `${JSON.stringify({ level: "info", time: new Date().toISOString(), ...object, msg: message })}\n`,
    );
  };
  return { debug: write, info: write, warn: write, error: write };
}

// Shared: an AbortController per synthetic request would cost more than everything measured here.
const SHARED_SIGNAL = new AbortController().signal;

function syntheticRequest(
  provider: Provider,
  sequence: number,
): { context: RequestContext; attempt: AttemptRecord } {
  const endpoint = provider.endpoints[0] as Provider["endpoints"][number];
  const target = { provider, model: "mock-1" };
  const attempt: AttemptRecord = { target, endpoint, startedAt: 0.4, durationMs: 12, status: 200 };
  const startedAt = performance.now() - 15;
  const context = {
    id: `bench-${sequence}`,
    operation: "chat",
    dialect: "openai",
    headers: {
      "content-type": "application/json",
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    },
    signal: SHARED_SIGNAL,
    startedAt,
    receivedAt: Date.now(),
    request: { model: "mock-1", messages: [{ role: "user", content: "hi" }] },
    model: "mock-1",
    stream: false,
    streamUsageRequested: false,
    principal: { id: "team-alpha" },
    route: { targets: [target] },
    attempts: [attempt],
    usage: { prompt_tokens: 7, completion_tokens: 16, total_tokens: 23 },
    cost: 0.000142,
    streamedEvents: 0,
    timings: { endMs: 15 },
    responseHeaders: {},
    upstreamHeaders: {},
    locals: {},
  } as unknown as RequestContext;
  return { context, attempt };
}

async function eventsPart(modes: readonly Mode[], rounds: number, iterations: number): Promise<void> {
  const provider = createOpenAIProvider({ name: "up", baseURL: "http://127.0.0.1:9/v1", models: ["mock-1"] });
  const results = new Map<Mode, number[]>(modes.map((mode) => [mode, []]));
  for (let round = 0; round < rounds; round++) {
    for (let index = 0; index < modes.length; index++) {
      const mode = modes[(index + round) % modes.length] as Mode;
      const telemetry =
        mode === "sdk"
          ? await startTelemetry({
              prometheus: {},
              spanProcessors: [countingProcessor()],
              detectResources: false,
            })
          : undefined;
      const gateway = createGateway({
        logger: mode === "no-sdk+log" ? nullJsonLogger() : silentLogger,
        telemetry: mode === "off" ? false : {},
        providers: [provider],
      });
      const drive = (count: number, offset: number) => {
        for (let sequence = 0; sequence < count; sequence++) {
          const { context, attempt } = syntheticRequest(provider, offset + sequence);
          gateway.events.emit("request:start", context);
          gateway.events.emit("attempt:start", context, attempt);
          gateway.events.emit("attempt:end", context, attempt);
          gateway.events.emit("request:end", context, undefined);
        }
      };
      drive(Math.min(2_000, iterations), 0); // warm-up: let V8 optimise
      const started = process.hrtime.bigint();
      drive(iterations, 2_000);
      const nanos = Number(process.hrtime.bigint() - started) / iterations;
      results.get(mode)?.push(nanos);
      await telemetry?.shutdown();
    }
  }
  const baseline = median(results.get("off") ?? []);
  const lines = [
    `Telemetry work per request, in process: ${iterations} synthetic requests x ${rounds} rounds per mode (medians).`,
    "The 'off' row is the cost of building the synthetic request and emitting its four events.",
    "",
    "| mode | ns per request | added by telemetry | what |",
    "|---|---:|---:|---|",
  ];
  for (const [mode, values] of results) {
    const nanos = median(values);
    lines.push(
      `| ${mode} | ${nanos.toFixed(0)} | ${mode === "off" ? "–" : `${(nanos - baseline).toFixed(0)} ns`} | ${MODES[mode]} |`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n\n`);
}

async function start(args: string[]): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = fork(thisFile, args, { stdio: ["ignore", "ignore", "ignore", "ipc"] });
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

function load(
  url: string,
  seconds: number,
  connections: number,
  stream: boolean,
): Promise<Omit<Run, "cpuMicrosPerRequest"> & { total: number }> {
  const body = JSON.stringify({
    model: "mock-1",
    messages: [{ role: "user", content: "Where does the night train go?" }],
    ...(stream ? { stream: true } : {}),
  });
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${url}/v1/chat/completions`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        connections,
        duration: seconds,
        timeout: 10,
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

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function report(
  runs: ReadonlyMap<Mode, readonly Run[]>,
  settings: { duration: number; rounds: number; connections: number; stream: boolean },
): void {
  const baseline = median((runs.get("off") ?? []).map((run) => run.requestsPerSecond));
  const cpuBaseline = median((runs.get("off") ?? []).map((run) => run.cpuMicrosPerRequest));
  const versus = (value: number, base: number) =>
    base > 0 ? `${value >= base ? "+" : ""}${(((value - base) / base) * 100).toFixed(1)} %` : "–";
  const lines = [
    `Telemetry cost: ${settings.stream ? "streamed" : "non-streamed"} chat, ${settings.connections} connections, ` +
      `${settings.rounds} rounds of ${settings.duration} s per mode (medians). Node ${process.version}.`,
    "",
    "| mode | req/s | vs off | CPU µs/request | vs off | p50 ms | p99 ms | failed | what |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const [mode, modeRuns] of runs) {
    const rate = median(modeRuns.map((run) => run.requestsPerSecond));
    const cpuPerRequest = median(modeRuns.map((run) => run.cpuMicrosPerRequest));
    lines.push(
      `| ${mode} | ${rate.toFixed(0)} | ${mode === "off" ? "–" : versus(rate, baseline)} | ` +
        `${cpuPerRequest.toFixed(0)} | ${mode === "off" ? "–" : versus(cpuPerRequest, cpuBaseline)} | ` +
        `${median(modeRuns.map((run) => run.p50Ms))} | ` +
        `${median(modeRuns.map((run) => run.p99Ms))} | ${modeRuns.reduce((sum, run) => sum + run.failed, 0)} | ${MODES[mode]} |`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

// Last, so every module-level constant above is initialised before a role runs.
if (role === "upstream") await runUpstream();
else if (role === "gateway") await runGateway(process.argv[3] as Mode, process.argv[4] as string);
else await runParent();
