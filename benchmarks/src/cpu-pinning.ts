/**
 * Which core each process runs on. The server under test gets a core of its own; the mock upstream, the
 * load generator and the orchestrating parent share the other, so the server's numbers are not disturbed by
 * the client's work (and the two servers under test get the same treatment).
 */
import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";

/** Where processes run. `undefined` cores mean unpinned. */
export interface CorePlan {
  /** Core of the gateway or proxy under test. */
  readonly serverCore: number | undefined;
  /** Core of the mock upstream, the load generator and the parent. */
  readonly clientCore: number | undefined;
  /** The taskset binary, when pinning. */
  readonly taskset: string | undefined;
  /** One line for the report. */
  readonly description: string;
}

function findTaskset(): string | undefined {
  try {
    return execFileSync("sh", ["-c", "command -v taskset"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Plans the pinning: server on core 0, everything else on core 1 (the last core when there are more).
 * Falls back to no pinning, and says why, without taskset or with a single core.
 */
export function planCores(pin: boolean): CorePlan {
  const cores = availableParallelism();
  if (!pin) {
    return {
      serverCore: undefined,
      clientCore: undefined,
      taskset: undefined,
      description: "not pinned (--no-pin)",
    };
  }
  const taskset = findTaskset();
  if (taskset === undefined) {
    return {
      serverCore: undefined,
      clientCore: undefined,
      taskset: undefined,
      description: "not pinned: taskset not found (apt-get install util-linux)",
    };
  }
  if (cores < 2) {
    return {
      serverCore: undefined,
      clientCore: undefined,
      taskset: undefined,
      description: "not pinned: only one core",
    };
  }
  const clientCore = cores - 1;
  return {
    serverCore: 0,
    clientCore,
    taskset,
    description: `taskset: gateway/proxy under test on core 0; mock upstream + load generator + parent on core ${clientCore}`,
  };
}

/** Pins the running process (the parent) to `core`; best effort. */
export function pinSelf(plan: CorePlan): void {
  if (plan.taskset === undefined || plan.clientCore === undefined) return;
  try {
    execFileSync(plan.taskset, ["-pc", String(plan.clientCore), String(process.pid)], { stdio: "ignore" });
  } catch {
    // Pinning the parent only keeps its little work off the server's core; the run is valid without it.
  }
}
