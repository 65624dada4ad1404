/** The facts about the machine a result is meaningless without. */
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, totalmem } from "node:os";

/** What the report says about the machine. */
export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
}

/** Reads the machine facts (CPU model from /proc/cpuinfo where there is one). */
export function describeMachine(): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? "unknown";
  try {
    const line = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (line?.[1]) cpuModel = line[1].trim();
  } catch {
    // Not Linux: os.cpus() already gave the model.
  }
  return {
    cores: availableParallelism(),
    cpuModel,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}
