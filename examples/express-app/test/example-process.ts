import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const exampleRoot = fileURLToPath(new URL("../", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Compiles the packages the example imports (`tsc -b`, incremental) and then the example itself, so the
 * child process runs what `pnpm start` runs. Slow the first time: give the caller a long timeout.
 */
export function buildExample(): void {
  const tsc = (args: string[], cwd: string) =>
    execFileSync("pnpm", ["exec", "tsc", ...args], { cwd, stdio: "inherit", timeout: 240_000 });
  tsc(["-b", "packages/core", "packages/http", "packages/provider-mock"], repoRoot);
  tsc(["-p", "."], exampleRoot);
}

/** The example running as `node dist/main.js`. */
export interface ExampleProcess {
  readonly child: ChildProcess;
  /** Everything it printed on stdout so far. */
  readonly output: () => string;
  /** The URL from its "listening on" line. */
  readonly url: Promise<string>;
  /** Resolves with the exit code once it has exited. */
  readonly exited: Promise<number | null>;
}

/** Starts the built example on a free port. */
export function startExample(env: Record<string, string> = {}): ExampleProcess {
  const child = spawn(process.execPath, ["dist/main.js"], {
    cwd: exampleRoot,
    env: { ...process.env, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout?.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) resolve(match[1] as string);
    });
    void exited.then((code) =>
      reject(new Error(`the example exited (code ${code}) before listening.\n${stdout}\n${stderr}`)),
    );
  });
  return { child, output: () => stdout, url, exited };
}
