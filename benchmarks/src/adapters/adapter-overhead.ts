/**
 * Adapter overhead, side by side: the same gateway (one OpenAI provider pointed at the mock upstream)
 * served by node:http, Express, Fastify and the fetch handler on a node:http bridge, each in its own
 * process, loaded by autocannon from this one. The mock upstream runs in a third process.
 *
 *   node dist/adapters/adapter-overhead.js [--quick] [--duration 5] [--rounds 2] [--connections 16] [--json]
 *
 * Scenarios: `GET /llm/health` (the adapter and the gateway's routing alone), a non-streaming chat
 * completion and a streamed one (16 tokens, unpaced) through the upstream. Rounds alternate the adapter
 * order (forward, then backward) so drift of a shared machine does not favour one adapter; each cell is
 * the median of its rounds. On a 2-core machine the three processes share the cores: read the numbers
 * side by side, not as absolutes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { ADAPTERS, type AdapterName } from "./adapter-names.js";

interface Options {
  readonly durationSeconds: number;
  readonly rounds: number;
  readonly connections: number;
  readonly json: boolean;
}

interface Scenario {
  readonly name: string;
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly body?: string;
}

const chat = (stream: boolean) =>
  JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "Benchmark me." }], stream });

const SCENARIOS: readonly Scenario[] = [
  { name: "GET /health", method: "GET", path: "/health" },
  { name: "chat (JSON)", method: "POST", path: "/v1/chat/completions", body: chat(false) },
  { name: "chat (SSE stream)", method: "POST", path: "/v1/chat/completions", body: chat(true) },
];

interface Cell {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (flag: string, fallback: number) => {
    const index = argv.indexOf(flag);
    const parsed = index === -1 ? Number.NaN : Number(argv[index + 1]);
    return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
  };
  const quick = argv.includes("--quick");
  return {
    durationSeconds: value("--duration", quick ? 2 : 5),
    rounds: value("--rounds", quick ? 1 : 2),
    connections: value("--connections", 16),
    json: argv.includes("--json"),
  };
}

const serverScript = fileURLToPath(new URL("./adapter-server.js", import.meta.url));

/** Starts a child and waits for its `READY <url>` line (10 s at most). */
function startChild(args: readonly string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [serverScript, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${args[0]} did not start within 10 s`));
    }, 10_000);
    child.stdout?.setEncoding("utf8").on("data", (text: string) => {
      output += text;
      const match = /READY (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1] as string });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited with code ${code} before it was ready`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

function load(url: string, scenario: Scenario, options: Options, durationSeconds: number): Promise<Cell> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: url + scenario.path,
        method: scenario.method,
        headers: scenario.body ? { "content-type": "application/json" } : {},
        body: scenario.body,
        connections: options.connections,
        duration: durationSeconds,
        timeout: 10,
      },
      (error: Error | null, result: autocannon.Result) => {
        if (error) reject(error);
        else
          resolve({
            requestsPerSecond: result.requests.average,
            p50Ms: result.latency.p50,
            p99Ms: result.latency.p99,
            errors: result.errors + result.timeouts + result.non2xx,
          });
      },
    );
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const upstream = await startChild(["upstream"]);
  const gateways = new Map<AdapterName, { child: ChildProcess; url: string }>();
  const results = new Map<string, Cell[]>();
  try {
    for (const adapter of ADAPTERS) gateways.set(adapter, await startChild([adapter, upstream.url]));
    // Warm-up: JIT, connection pools, the upstream's keep-alive sockets.
    for (const [, gateway] of gateways) {
      for (const scenario of SCENARIOS) await load(gateway.url, scenario, options, 1);
    }
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? [...ADAPTERS] : [...ADAPTERS].reverse();
      for (const scenario of SCENARIOS) {
        for (const adapter of order) {
          const cell = await load(
            gateways.get(adapter)?.url as string,
            scenario,
            options,
            options.durationSeconds,
          );
          const key = `${scenario.name}\u0000${adapter}`;
          results.set(key, [...(results.get(key) ?? []), cell]);
        }
      }
    }
  } finally {
    for (const [, gateway] of gateways) await stopChild(gateway.child);
    await stopChild(upstream.child);
  }

  const table = SCENARIOS.flatMap((scenario) => {
    const baseline = median(
      (results.get(`${scenario.name}\u0000node`) ?? []).map((cell) => cell.requestsPerSecond),
    );
    return ADAPTERS.map((adapter) => {
      const cells = results.get(`${scenario.name}\u0000${adapter}`) ?? [];
      const requestsPerSecond = median(cells.map((cell) => cell.requestsPerSecond));
      return {
        scenario: scenario.name,
        adapter,
        requestsPerSecond: Math.round(requestsPerSecond),
        vsNode: baseline > 0 ? `${((requestsPerSecond / baseline) * 100).toFixed(0)}%` : "n/a",
        p50Ms: median(cells.map((cell) => cell.p50Ms)),
        p99Ms: median(cells.map((cell) => cell.p99Ms)),
        errors: cells.reduce((sum, cell) => sum + cell.errors, 0),
      };
    });
  });
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ options, node: process.version, table }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `adapter overhead: ${options.connections} connections, ${options.durationSeconds} s x ${options.rounds} round(s), node ${process.version}\n\n`,
  );
  process.stdout.write(
    "| scenario | adapter | req/s | vs node | p50 ms | p99 ms | errors |\n|---|---|---:|---:|---:|---:|---:|\n",
  );
  for (const row of table) {
    process.stdout.write(
      `| ${row.scenario} | ${row.adapter} | ${row.requestsPerSecond} | ${row.vsNode} | ${row.p50Ms} | ${row.p99Ms} | ${row.errors} |\n`,
    );
  }
}

await main();
