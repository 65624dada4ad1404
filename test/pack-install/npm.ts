import { type ExecFileOptions, execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/** What a finished command printed. */
export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment for npm, node and tsc in the app: the test's own, less what would tie them to the
 * workspace. `pnpm test` exports its settings as `npm_config_*` variables, which npm would obey (its
 * registry excepted, so a mirror configured that way still applies), and NODE_PATH would let Node find
 * modules outside the app.
 */
export function outsideEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    const lower = name.toLowerCase();
    if (lower === "node_path" || lower === "node_options") continue;
    if ((lower.startsWith("npm_") || lower.startsWith("pnpm_")) && lower !== "npm_config_registry") continue;
    env[name] = value;
  }
  return {
    ...env,
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    ...extra,
  };
}

/** Runs a command; rejects with everything it printed when it fails. */
export function run(
  command: string,
  args: readonly string[],
  options: ExecFileOptions & { timeout: number },
): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { env: outsideEnv(), maxBuffer: 64 * 1024 * 1024, encoding: "utf8", ...options },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(
              `${command} ${args.join(" ")} failed: ${error.message}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
            ),
          );
        } else resolve({ stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/**
 * Resolves `undefined` when the npm registry answers `npm ping`, else why it did not. The install test
 * needs it for express, openai and the packages' own dependencies.
 */
export async function probeRegistry(): Promise<string | undefined> {
  try {
    await run("npm", ["ping"], { timeout: 20_000 });
    return undefined;
  } catch (error) {
    return (error as Error).message.split("\n")[0];
  }
}

/** The first `node_modules` folder above `dir` (which would leak modules into an app there), if any. */
export function ancestorNodeModules(dir: string): string | undefined {
  let current = dirname(dir);
  while (true) {
    const candidate = join(current, "node_modules");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}
