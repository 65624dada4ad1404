import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** The built CLI entry point; child processes run JavaScript, so it needs `tsc -b` first. */
export const cliBin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

/** What the child process loads: the CLI and the built entry points of the packages it imports. */
const builtEntryPoints = [
  cliBin,
  ...[
    "core/dist/index.js",
    "http/dist/node.js",
    "limiter/dist/index.js",
    "limiter-redis/dist/index.js",
    "otel/dist/index.js",
    "otel/dist/dashboard/index.js",
    "provider-mock/dist/index.js",
    "provider-openai/dist/index.js",
  ].map((path) => fileURLToPath(new URL(`../../${path}`, import.meta.url))),
];

/**
 * Builds the workspace when the CLI or a package it imports has not been built. `tsc -b` trusts the
 * `.tsbuildinfo` files next to each tsconfig, so when a `dist/` was deleted but they were not, it reports
 * "up to date" and writes nothing: then build again with `--force`. Slow: give the caller a long timeout.
 */
export function ensureBuilt(): void {
  const missing = () => builtEntryPoints.filter((file) => !existsSync(file));
  if (missing().length === 0) return;
  execFileSync("pnpm", ["exec", "tsc", "-b"], { cwd: repoRoot, stdio: "inherit", timeout: 240_000 });
  if (missing().length === 0) return;
  execFileSync("pnpm", ["exec", "tsc", "-b", "--force"], {
    cwd: repoRoot,
    stdio: "inherit",
    timeout: 240_000,
  });
  const stillMissing = missing();
  if (stillMissing.length > 0) throw new Error(`tsc -b did not produce ${stillMissing.join(", ")}`);
}

/** How a child process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running `switchyard` child process and everything it has printed so far. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Settles once the process has exited and its output streams are closed. */
  readonly exited: Promise<Exit>;
  /** Resolves with the first match of `pattern` in the stream; rejects if the process ends first. */
  waitFor(pattern: RegExp, stream?: "stdout" | "stderr"): Promise<RegExpMatchArray>;
  /** Resolves with the URL (http or https) from the "Switchyard listening on ..." line. */
  listening(): Promise<string>;
  /** Kills the process if it still runs, and waits for it to be gone. */
  kill(): Promise<Exit>;
}

/**
 * Spawns `node packages/cli/dist/bin.js ...args`. The child gets the test's environment without
 * OPENAI_API_KEY (so the default config is the mock alone), plus `env`.
 */
export function spawnCli(args: readonly string[], env: Record<string, string> = {}): CliProcess {
  const { OPENAI_API_KEY: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, [cliBin, ...args], {
    cwd: repoRoot,
    env: { ...inherited, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = { stdout: "", stderr: "" };
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  child.stdout?.setEncoding("utf8").on("data", (text: string) => {
    output.stdout += text;
    notify();
  });
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    output.stderr += text;
    notify();
  });
  let ended = false;
  // 'close', not 'exit': it comes after the output streams are drained, so nothing printed is missed.
  const exited = new Promise<Exit>((resolve) => {
    child.once("close", (code, signal) => {
      ended = true;
      notify();
      resolve({ code, signal });
    });
  });

  const waitFor = (pattern: RegExp, stream: "stdout" | "stderr" = "stdout") =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output[stream]);
        if (match) {
          listeners.delete(check);
          resolve(match);
        } else if (ended) {
          listeners.delete(check);
          reject(
            new Error(
              `switchyard exited (code ${child.exitCode}, signal ${child.signalCode}) before printing ${pattern} on ${stream}.\n` +
                `stdout:\n${output.stdout}\nstderr:\n${output.stderr}`,
            ),
          );
        }
      };
      listeners.add(check);
      check();
    });

  return {
    child,
    get stdout() {
      return output.stdout;
    },
    get stderr() {
      return output.stderr;
    },
    exited,
    waitFor,
    async listening() {
      const match = await waitFor(/Switchyard listening on (https?:\/\/\S+)/);
      return match[1] as string;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      return exited;
    },
  };
}
