/**
 * On a shared machine other programs (builds, test runs) can take a whole core in the middle of a cell and
 * make any comparison meaningless. These helpers measure that "other load" (CPU busy time not used by the
 * benchmark's own processes) and wait, for a bounded time, until it drops below a threshold.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { startCpuUsage } from "./proc-stats.js";

/** How a wait for a quiet machine ended. */
export interface QuietWait {
  /** Other load of the last 1 s sample, in cores; undefined without /proc. */
  readonly otherCores: number | undefined;
  readonly waitedSeconds: number;
  /** False when the time ran out with the machine still busy, or the budget was already spent. */
  readonly quiet: boolean;
}

/**
 * The time a whole run may spend waiting for quiet and redoing disturbed rounds, so a machine that never
 * gets quiet costs a bounded amount of extra time and the run still finishes.
 */
export class QuietBudget {
  private remaining: number;

  constructor(seconds: number) {
    this.remaining = seconds;
  }

  /** Seconds left. */
  get remainingSeconds(): number {
    return this.remaining;
  }

  /** Takes `seconds` off the budget. */
  spend(seconds: number): void {
    this.remaining = Math.max(0, this.remaining - seconds);
  }
}

/** Longest single wait, so one busy spell cannot eat the whole budget. */
const MAX_SINGLE_WAIT_SECONDS = 30;

/**
 * Samples other load over 1 s windows until it is at most `maxOtherCores`, or the wait (at most 30 s, and
 * at most what is left of `budget`) is over.
 *
 * @param ownPids - The benchmark's processes (their CPU is not "other").
 */
export async function waitForQuiet(
  ownPids: Readonly<Record<string, number>>,
  maxOtherCores: number,
  budget: QuietBudget,
): Promise<QuietWait> {
  // Budget spent: measure at once (the run's other-load numbers still show how disturbed it was).
  if (budget.remainingSeconds <= 0) return { otherCores: undefined, waitedSeconds: 0, quiet: false };
  const timeoutSeconds = Math.min(MAX_SINGLE_WAIT_SECONDS, budget.remainingSeconds);
  const startedAt = performance.now();
  for (;;) {
    const stop = startCpuUsage(ownPids);
    await sleep(1_000);
    const { otherCores } = stop();
    const waitedSeconds = (performance.now() - startedAt) / 1000;
    if (otherCores === undefined || otherCores <= maxOtherCores) {
      // The first sample is the check itself, not a wait.
      if (waitedSeconds > 1.5) budget.spend(waitedSeconds);
      return { otherCores, waitedSeconds, quiet: true };
    }
    if (waitedSeconds >= timeoutSeconds) {
      budget.spend(waitedSeconds);
      return { otherCores, waitedSeconds, quiet: false };
    }
  }
}
