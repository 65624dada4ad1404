import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import { SwitchyardError } from "@switchyard/core";
import type { SwitchyardConfig } from "./config-schema.js";

/** Messages between the primary and its workers (over the cluster IPC channel). */
type WorkerMessage =
  | { readonly type: "switchyard:ready"; readonly banner: string }
  | { readonly type: "switchyard:drain" }
  | { readonly type: "switchyard:reload-tls" };

/** The environment variable that tells a worker its slot (0-based), stable across restarts. */
export const WORKER_SLOT_ENV = "SWITCHYARD_WORKER_SLOT";

/** A restarted worker waits this long after the first crash in a row, doubling per crash, up to the cap. */
const RESTART_BASE_DELAY_MS = 100;
const RESTART_MAX_DELAY_MS = 10_000;
/** A worker that ran this long before dying starts its slot's backoff afresh. */
const HEALTHY_UPTIME_MS = 10_000;
/** Beyond the grace period, how long the primary waits for draining workers before it kills them. */
const DRAIN_MARGIN_MS = 5_000;

/** `--workers` or `server.workers`: a count, or `auto` (one per core the process may use). */
export function resolveWorkerCount(flag: string | undefined, configured: number | "auto"): number {
  const value = flag ?? configured;
  if (value === "auto") return availableParallelism();
  const count = typeof value === "number" ? value : /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(count) || count < 1 || count > 1024) {
    throw new SwitchyardError(
      "SWY_ERR_CONFIG_INVALID",
      `--workers must be a number from 1 to 1024 or 'auto', not '${String(value)}'.`,
    );
  }
  return count;
}

/**
 * What would stop being exact with several workers: state kept in each process's memory (rate-limit
 * counters, budgets and spend), and a Prometheus endpoint that a scrape would reach on a random worker.
 * `notes` are correct but worth saying (a memory cache per worker). Each entry is a sentence.
 */
export function perWorkerProblems(config: SwitchyardConfig): {
  state: string[];
  fatal: string[];
  notes: string[];
} {
  const state: string[] = [];
  const fatal: string[] = [];
  const notes: string[] = [];
  const cacheStore = (config as { cache?: { store?: { type?: string } } }).cache?.store?.type;
  if ((config as { cache?: unknown }).cache !== undefined && cacheStore !== "redis") {
    notes.push(
      "cache.store is memory: each worker caches on its own (a lower hit rate, never a wrong answer)",
    );
  }
  if (config.rateLimit && config.rateLimit.store === "memory") {
    state.push(
      'rateLimit.store is "memory": each worker would count on its own, so every limit would admit up to N times as much',
    );
  }
  const keys = config.keys as { store: string; state?: string } | undefined;
  if (keys) {
    const shared = keys.state !== undefined ? keys.state !== "memory" : /^rediss?:/.test(keys.store);
    if (!shared) {
      state.push('keys.state is "memory": budgets, per-key limits and spend would be counted per worker');
    }
  }
  if (config.telemetry?.prometheus === true) {
    fatal.push(
      "telemetry.prometheus is true: a scrape of /metrics on the shared port reaches a random worker; give it a port of its own (telemetry.prometheus: { port }: worker k serves port + k) or use telemetry.otlp",
    );
  }
  return { state, fatal, notes };
}

/** Refuses configurations that several workers would serve wrongly (see perWorkerProblems). */
export function assertWorkersAllowed(config: SwitchyardConfig, count: number, allowPerWorker: boolean): void {
  if (count <= 1) return;
  const { state, fatal } = perWorkerProblems(config);
  const problems = [...fatal, ...(allowPerWorker ? [] : state)];
  if (problems.length === 0) return;
  const hint =
    state.length > 0 && !allowPerWorker
      ? " Use a shared Redis store, or accept per-worker counting with --allow-per-worker-limits (server.allowPerWorkerLimits)."
      : "";
  throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", `${count} workers: ${problems.join("; ")}.${hint}`);
}

/** The slot of this worker process (0-based), or `undefined` in a process that is no cluster worker. */
export function workerSlot(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const slot = Number(process.env[WORKER_SLOT_ENV]);
  return Number.isInteger(slot) && slot >= 0 ? slot : undefined;
}

/** Tells the primary this worker is listening; the primary prints the banner once for all of them. */
export function announceReady(banner: string): void {
  send({ type: "switchyard:ready", banner });
}

/** Runs `drain` when the primary asks for it, and `reloadTls` when it forwards a SIGHUP. */
export function onPrimaryCommand(handlers: { drain(): void; reloadTls(): void }): () => void {
  const listener = (message: unknown) => {
    const type = (message as Partial<WorkerMessage> | null)?.type;
    if (type === "switchyard:drain") handlers.drain();
    else if (type === "switchyard:reload-tls") handlers.reloadTls();
  };
  process.on("message", listener);
  return () => process.off("message", listener);
}

function send(message: WorkerMessage): void {
  process.send?.(message);
}

/** Options of {@link runPrimary}. */
export interface PrimaryOptions {
  readonly count: number;
  /** The CLI's arguments, passed to every worker as is. */
  readonly argv: readonly string[];
  /** The workers' grace period (`server.graceMs`): the primary waits that long plus a margin for a drain. */
  readonly graceMs: number;
  /** The script workers run: the CLI's bin. */
  readonly exec: string;
  out(text: string): void;
  err(text: string): void;
}

/**
 * The primary process of `serve --workers N`: forks N workers that share the listening port
 * (node:cluster; connections are handed out round-robin by the primary), restarts a worker that exits
 * while serving (after 100 ms, doubling per crash in a row up to 10 s), and on SIGTERM or SIGINT asks
 * every worker to drain, then resolves 0 once all have exited cleanly (1 if one did not, or had to be
 * killed after the grace period). SIGHUP is forwarded to every worker (TLS reload). Resolves 1 at once
 * when workers die before any has ever served (a config the workers reject, a port in use).
 */
export function runPrimary(options: PrimaryOptions): Promise<number> {
  const { count } = options;
  cluster.setupPrimary({ exec: options.exec, args: [...options.argv] });
  const slots = new Map<Worker, number>();
  const startedAt = new Map<Worker, number>();
  const crashes: number[] = new Array(count).fill(0);
  const ready = new Set<Worker>();
  let announced = false;
  let everReady = false;
  let stopping = false;
  let failed = false;

  return new Promise<number>((resolve) => {
    const fork = (slot: number) => {
      const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot) });
      slots.set(worker, slot);
      startedAt.set(worker, Date.now());
      worker.on("message", (message: WorkerMessage) => {
        if (message?.type !== "switchyard:ready") return;
        ready.add(worker);
        everReady = true;
        if (!announced && ready.size === count) {
          announced = true;
          const pids = [...ready].map((each) => each.process.pid).join(", ");
          options.out(`${message.banner}  workers: ${count} (pids ${pids})\n`);
        } else if (announced) {
          options.err(`switchyard: worker ${worker.process.pid} (slot ${slot}) is serving\n`);
        }
        // A drain asked for while this worker was still starting.
        if (stopping) worker.send({ type: "switchyard:drain" } satisfies WorkerMessage);
      });
    };

    const finish = () => {
      if (cluster.workers && Object.keys(cluster.workers).length > 0) return;
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      process.off("SIGHUP", reload);
      clearTimeout(killTimer);
      cluster.off("exit", onExit);
      resolve(failed ? 1 : 0);
    };

    const onExit = (worker: Worker, code: number | null, signal: NodeJS.Signals | null) => {
      const slot = slots.get(worker) ?? 0;
      const uptime = Date.now() - (startedAt.get(worker) ?? Date.now());
      slots.delete(worker);
      startedAt.delete(worker);
      ready.delete(worker);
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (stopping) {
        if (code !== 0) failed = true;
        finish();
        return;
      }
      if (!everReady) {
        // Nothing ever served: the workers cannot start (their error is on stderr). Retrying would loop.
        options.err(`switchyard: worker ${worker.process.pid} exited (${how}) before serving; stopping\n`);
        failed = true;
        stopping = true;
        for (const other of Object.values(cluster.workers ?? {})) other?.kill("SIGKILL");
        finish();
        return;
      }
      crashes[slot] = uptime >= HEALTHY_UPTIME_MS ? 1 : (crashes[slot] ?? 0) + 1;
      const delay = Math.min(RESTART_MAX_DELAY_MS, RESTART_BASE_DELAY_MS * 2 ** ((crashes[slot] ?? 1) - 1));
      options.err(
        `switchyard: worker ${worker.process.pid} (slot ${slot}) exited (${how}); restarting in ${delay} ms\n`,
      );
      setTimeout(() => {
        if (!stopping) fork(slot);
      }, delay).unref();
    };

    let killTimer: NodeJS.Timeout | undefined;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      options.err(`switchyard: ${signal}: draining ${count} workers (up to ${options.graceMs} ms)\n`);
      for (const worker of Object.values(cluster.workers ?? {})) {
        if (worker?.isConnected()) worker.send({ type: "switchyard:drain" } satisfies WorkerMessage);
      }
      killTimer = setTimeout(() => {
        for (const worker of Object.values(cluster.workers ?? {})) {
          options.err(`switchyard: worker ${worker?.process.pid} did not drain in time; killing it\n`);
          worker?.kill("SIGKILL");
        }
        failed = true;
      }, options.graceMs + DRAIN_MARGIN_MS);
      killTimer.unref();
      finish();
    };

    const reload = () => {
      for (const worker of Object.values(cluster.workers ?? {})) {
        if (worker?.isConnected()) worker.send({ type: "switchyard:reload-tls" } satisfies WorkerMessage);
      }
    };

    cluster.on("exit", onExit);
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    process.on("SIGHUP", reload);
    for (let slot = 0; slot < count; slot++) fork(slot);
  });
}

/**
 * The config a worker in `slot` serves: a Prometheus exporter on a port of its own moves to `port + slot`,
 * so every worker can be scraped (worker 0 keeps the configured port).
 */
export function configForSlot(config: SwitchyardConfig, slot: number | undefined): SwitchyardConfig {
  const prometheus = config.telemetry?.prometheus;
  if (slot === undefined || slot === 0 || typeof prometheus !== "object" || config.telemetry === undefined) {
    return config;
  }
  return {
    ...config,
    telemetry: { ...config.telemetry, prometheus: { ...prometheus, port: prometheus.port + slot } },
  };
}
