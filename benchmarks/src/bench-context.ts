/**
 * What every phase of a run shares: the options, the core plan, the process group, the long-lived children
 * (mock upstreams and load generator), and how to start a server under test.
 */
import { fileURLToPath } from "node:url";
import type { BenchOptions } from "./bench-options.js";
import type { ChildHandle, ChildProcessGroup } from "./child-process-group.js";
import type { CorePlan } from "./cpu-pinning.js";
import type { GatewayProcessConfig } from "./gateway-process.js";
import type { ServerReadyInfo, UpstreamReadyInfo } from "./ipc-protocol.js";
import type { LoadgenResult, LoadgenTask } from "./loadgen-process.js";
import type { ProxyProcessConfig } from "./proxy-process.js";
import type { QuietBudget } from "./quiet-machine.js";
import { BENCH_API_KEY, BENCH_MODEL } from "./scenarios.js";

/** The two servers under test. */
export type ServerKind = "gateway" | "proxy";

/** Shared by every phase. */
export interface BenchContext {
  readonly options: BenchOptions;
  readonly cores: CorePlan;
  readonly group: ChildProcessGroup;
  readonly upstream: ChildHandle<UpstreamReadyInfo>;
  readonly loadgen: ChildHandle<{ pid: number }>;
  /** What is left of the run's time for waiting for quiet and redoing disturbed runs. */
  readonly quietBudget: QuietBudget;
  /** Progress output (stderr), so stdout holds only the report. */
  readonly log: (line: string) => void;
}

/** Absolute path of a compiled script next to this one. */
export function scriptPath(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/**
 * Starts a fresh gateway or proxy process on the server core, forwarding to the named mock upstream.
 *
 * @param cpuProfile - When set, the process writes a V8 CPU profile named so into `options.cpuProfileDir`.
 */
export function startServer(
  context: BenchContext,
  kind: ServerKind,
  upstreamName: string,
  cpuProfile?: string,
): Promise<ChildHandle<ServerReadyInfo>> {
  const upstreamUrl = context.upstream.info.urls[upstreamName];
  if (upstreamUrl === undefined) throw new Error(`no mock upstream named '${upstreamName}'`);
  const profileDir = context.options.cpuProfileDir;
  const nodeArgs =
    cpuProfile !== undefined && profileDir !== undefined
      ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${cpuProfile}`]
      : [];
  const config: GatewayProcessConfig | ProxyProcessConfig =
    kind === "gateway"
      ? { upstreamUrl, apiKey: BENCH_API_KEY, model: BENCH_MODEL }
      : { upstreamOrigin: new URL(upstreamUrl).origin };
  return context.group.spawn<ServerReadyInfo>({
    name: kind,
    script: scriptPath(kind === "gateway" ? "gateway-process.js" : "proxy-process.js"),
    config,
    core: context.cores.serverCore,
    taskset: context.cores.taskset,
    nodeArgs,
  });
}

/** Sends a task to the load generator; `timeoutMs` bounds it. */
export function loadgenTask<Result extends LoadgenResult>(
  context: BenchContext,
  task: LoadgenTask,
  timeoutMs: number,
): Promise<Result> {
  return context.loadgen.request<Result>(task, timeoutMs);
}
