/**
 * Reads process and core statistics from Linux's /proc: resident memory of a pid, CPU time of a pid, and
 * busy time per core. Every reader returns `undefined` where /proc is missing, so the benchmark still runs
 * (without those columns) elsewhere.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Resident set size now and at its peak, in KiB. */
export interface MemoryReading {
  readonly rssKiB: number;
  /** VmHWM: the highest RSS since the process started. */
  readonly hwmKiB: number;
}

/** Reads VmRSS and VmHWM of `pid`. */
export function readMemory(pid: number): MemoryReading | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
    if (rss === undefined || hwm === undefined) return undefined;
    return { rssKiB: Number(rss), hwmKiB: Number(hwm) };
  } catch {
    return undefined;
  }
}

let clockTicks: number | undefined;

/** Kernel clock ticks per second (the unit of /proc CPU times). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds used so far by `pid` (all its threads). */
export function readProcessCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const userTicks = Number(fields[11]);
    const systemTicks = Number(fields[12]);
    return (userTicks + systemTicks) / clockTicksPerSecond();
  } catch {
    return undefined;
  }
}

/** Busy and total time of each core so far, in clock ticks, indexed by core number. */
export function readCoreTicks(): Array<{ busy: number; total: number }> | undefined {
  try {
    const cores: Array<{ busy: number; total: number }> = [];
    for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
      const match = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (!match) continue;
      const values = (match[2] as string).split(/\s+/).map(Number);
      const total = values.reduce((sum, value) => sum + value, 0);
      // idle + iowait are the not-busy columns.
      const idle = (values[3] ?? 0) + (values[4] ?? 0);
      cores[Number(match[1])] = { busy: total - idle, total };
    }
    return cores;
  } catch {
    return undefined;
  }
}

/** A stopwatch over CPU use: per-pid CPU seconds and per-core busy share between start and stop. */
export interface CpuUsage {
  /** Wall-clock seconds between start and stop. */
  readonly elapsedSeconds: number;
  /** CPU seconds each pid used, by the name it was given. */
  readonly processSeconds: Readonly<Record<string, number>>;
  /** Busy share (0-1) of each core over the interval. */
  readonly coreBusy: readonly number[];
  /**
   * Busy time of all cores not accounted for by the named pids, in cores (0.3 = 30% of one core): other
   * programs on the machine, plus kernel work (softirq) charged to no process. High values flag a disturbed
   * measurement.
   */
  readonly otherCores: number | undefined;
}

/** Starts measuring CPU use of the named pids and the cores; call the result to stop. */
export function startCpuUsage(pids: Readonly<Record<string, number>>): () => CpuUsage {
  const startedAt = performance.now();
  const before = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, readProcessCpuSeconds(pid)]),
  );
  const coresBefore = readCoreTicks();
  return () => {
    const elapsedSeconds = (performance.now() - startedAt) / 1000;
    const processSeconds: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) {
      const start = before[name];
      const end = readProcessCpuSeconds(pid);
      if (start !== undefined && end !== undefined) processSeconds[name] = end - start;
    }
    const coresAfter = readCoreTicks();
    const coreBusy: number[] = [];
    let busySeconds: number | undefined;
    if (coresBefore && coresAfter) {
      busySeconds = 0;
      coresAfter.forEach((after, index) => {
        const start = coresBefore[index];
        if (!start) return;
        const total = after.total - start.total;
        const busy = after.busy - start.busy;
        coreBusy[index] = total > 0 ? busy / total : 0;
        busySeconds = (busySeconds ?? 0) + busy / clockTicksPerSecond();
      });
    }
    const ownSeconds = Object.values(processSeconds).reduce((sum, seconds) => sum + seconds, 0);
    const otherCores =
      busySeconds === undefined || elapsedSeconds <= 0
        ? undefined
        : Math.max(0, busySeconds - ownSeconds) / elapsedSeconds;
    return { elapsedSeconds, processSeconds, coreBusy, otherCores };
  };
}

/** Samples the RSS of `pid` every `intervalMs` until stopped; returns the highest value seen, in KiB. */
export function sampleRss(pid: number, intervalMs: number): () => { peakKiB: number; samples: number } {
  let peakKiB = 0;
  let samples = 0;
  const take = () => {
    const reading = readMemory(pid);
    if (!reading) return;
    samples++;
    peakKiB = Math.max(peakKiB, reading.rssKiB);
  };
  take();
  const timer = setInterval(take, intervalMs);
  return () => {
    clearInterval(timer);
    take();
    return { peakKiB, samples };
  };
}
