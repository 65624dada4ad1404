/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, or `pnpm bench -- --cpu-prof <dir>`): the functions with
 * the most self time, and self time per area (Switchyard packages by file, undici, node internals, GC).
 *
 * Usage: node benchmarks/dist/summarise-profile.js <file.cpuprofile> [--top 30]
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time by function and by area, in ms, with the profile's total. */
export interface ProfileSummary {
  readonly totalMs: number;
  /** Excluding `(idle)`: the time the process was actually running. */
  readonly busyMs: number;
  readonly functions: ReadonlyArray<{
    readonly name: string;
    readonly location: string;
    readonly selfMs: number;
  }>;
  readonly areas: ReadonlyArray<{ readonly area: string; readonly selfMs: number }>;
}

function shortLocation(url: string): string {
  const path = url.replace(/^file:\/\//, "");
  const workspace = /\/(packages\/[^/]+\/(?:dist|src)\/.+|benchmarks\/(?:dist|src)\/.+)$/.exec(path);
  if (workspace?.[1]) return workspace[1];
  const dependency = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+\/.+)$/.exec(path);
  if (dependency?.[1]) return dependency[1];
  return path;
}

// Areas: Switchyard files one by one (where the gateway's own time goes), dependencies by package.
function areaOf(frame: CallFrame): string {
  const url = frame.url;
  if (url === "") {
    if (frame.functionName.startsWith("(")) return frame.functionName;
    return "(native / builtins)";
  }
  if (url.startsWith("node:")) return "node internals";
  const location = shortLocation(url);
  if (location.startsWith("packages/") || location.startsWith("benchmarks/")) return location;
  const dependency = /^((?:@[^/]+\/)?[^/]+)\//.exec(location);
  return dependency?.[1] ?? location;
}

/** Reads and summarises a profile. */
export function summariseProfile(profile: CpuProfile, top = 30): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfByNode = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const functions = new Map<string, { name: string; location: string; selfMs: number }>();
  const areas = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  for (const [id, microseconds] of selfByNode) {
    const node = byId.get(id);
    if (!node) continue;
    const ms = microseconds / 1000;
    totalMs += ms;
    const frame = node.callFrame;
    if (frame.functionName === "(idle)") idleMs += ms;
    const name = frame.functionName || "(anonymous)";
    const location = frame.url ? `${shortLocation(frame.url)}:${frame.lineNumber + 1}` : "";
    const key = `${name}@${location}`;
    const entry = functions.get(key) ?? { name, location, selfMs: 0 };
    entry.selfMs += ms;
    functions.set(key, entry);
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + ms);
  }
  return {
    totalMs,
    busyMs: totalMs - idleMs,
    functions: [...functions.values()].sort((left, right) => right.selfMs - left.selfMs).slice(0, top),
    areas: [...areas.entries()]
      .map(([area, selfMs]) => ({ area, selfMs }))
      .sort((left, right) => right.selfMs - left.selfMs)
      .slice(0, top),
  };
}

function main(argv: readonly string[]): void {
  const file = argv.find((argument) => !argument.startsWith("--"));
  const topIndex = argv.indexOf("--top");
  const top = topIndex === -1 ? 30 : Math.min(200, Math.max(1, Number(argv[topIndex + 1]) || 30));
  if (file === undefined) {
    process.stderr.write("Usage: node benchmarks/dist/summarise-profile.js <file.cpuprofile> [--top 30]\n");
    process.exitCode = 2;
    return;
  }
  const summary = summariseProfile(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, top);
  const share = (ms: number) => `${((ms / summary.busyMs) * 100).toFixed(1)}%`;
  const lines = [
    `${file}: ${(summary.totalMs / 1000).toFixed(1)} s profiled, ${(summary.busyMs / 1000).toFixed(1)} s busy (shares below are of busy time)`,
    "",
    "| self ms | share | function | location |",
    "|---:|---:|---|---|",
    ...summary.functions
      .filter((entry) => entry.name !== "(idle)")
      .map(
        (entry) =>
          `| ${entry.selfMs.toFixed(0)} | ${share(entry.selfMs)} | ${entry.name} | ${entry.location} |`,
      ),
    "",
    "| self ms | share | area |",
    "|---:|---:|---|",
    ...summary.areas
      .filter((entry) => entry.area !== "(idle)")
      .map((entry) => `| ${entry.selfMs.toFixed(0)} | ${share(entry.selfMs)} | ${entry.area} |`),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

// Run as a script, not when imported.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2));
}
