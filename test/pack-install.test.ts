/**
 * The install test: every package under packages/ packed with `pnpm pack`, installed with npm from the
 * tarballs into an app in the OS temp folder (outside the workspace, so nothing resolves through it), then
 * an Express app using the packages is type-checked with the app's own `tsc`, started, and called with the
 * official `openai` SDK. The CLI tarball is installed with `npm install -g` and its command run.
 *
 * Needs the npm registry (express, openai and the packages' own dependencies come from it). Outside CI it is
 * skipped, with the reason printed, when the registry does not answer; under CI it fails instead.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  appManifest,
  appTsconfig,
  clientSource,
  everyExportSource,
  MOCK_MODEL,
  OPENAI_MODEL,
  serverSource,
} from "./pack-install/app-sources.js";
import { type PackedPackage, readPackedManifest, startLocalRegistry } from "./pack-install/local-registry.js";
import {
  ancestorNodeModules,
  type CommandOutput,
  outsideEnv,
  probeRegistry,
  run,
} from "./pack-install/npm.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/** Third-party packages the app installs from the registry next to the tarballs. */
const REGISTRY_PACKAGES = [
  "express@^5.2.1",
  "fastify@^5.12.8",
  "openai@^6.49.0",
  "typescript@~5.9.3",
  "@types/node@^20.19.0",
  "@types/express@^5.0.6",
  // The peer dependency of @switchyard/testing (npm would install it anyway; pinned to the major we test).
  "vitest@^4.1.12",
];

const unreachable = await probeRegistry();
if (unreachable !== undefined && process.env.CI) {
  // Under CI the registry is always reachable (pnpm install just used it): a failure here is a failure.
  throw new Error(`The install test needs the npm registry, which does not answer: ${unreachable}`);
}
if (unreachable !== undefined) {
  console.warn(`Skipping the install test: the npm registry does not answer (${unreachable}).`);
}

/** Every export subpath of a packed manifest, as import specifiers (`@switchyard/http/express`). */
function specifiersOf(pkg: PackedPackage): string[] {
  const exportsMap = pkg.manifest.exports;
  if (typeof exportsMap !== "object" || exportsMap === null) return [pkg.manifest.name];
  // A map of conditions rather than of subpaths describes the package root alone.
  if (!Object.keys(exportsMap).every((key) => key.startsWith("."))) return [pkg.manifest.name];
  return Object.keys(exportsMap)
    .filter((subpath) => subpath !== "./package.json" && !subpath.includes("*"))
    .map((subpath) => (subpath === "." ? pkg.manifest.name : `${pkg.manifest.name}/${subpath.slice(2)}`));
}

describe.skipIf(unreachable !== undefined)("packed packages installed outside the workspace", () => {
  let work = "";
  let app = "";
  let packed: PackedPackage[] = [];
  let specifiers: string[] = [];
  let typeCheck: { ok: boolean; output: string } = { ok: false, output: "not run" };
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    const timings: string[] = [];
    let phaseStart = performance.now();
    const phase = (name: string) => {
      timings.push(`${name} ${((performance.now() - phaseStart) / 1000).toFixed(1)} s`);
      phaseStart = performance.now();
    };
    // The tarballs must hold what the sources say now, not an older dist/ (a no-op when up to date).
    await run("pnpm", ["exec", "tsc", "-b"], { cwd: repoRoot, env: process.env, timeout: 180_000 });
    work = mkdtempSync(join(tmpdir(), "switchyard-install-"));
    const tarballs = join(work, "tarballs");
    await run("pnpm", ["--filter", "./packages/*", "pack", "--pack-destination", tarballs], {
      cwd: repoRoot,
      env: process.env,
      timeout: 120_000,
    });
    phase("tsc -b + pnpm pack");
    packed = readdirSync(tarballs)
      .filter((file) => file.endsWith(".tgz"))
      .map((file) => readPackedManifest(join(tarballs, file)))
      .filter((pkg) => pkg.manifest.private !== true);
    specifiers = packed.flatMap(specifiersOf).sort();

    app = join(work, "app");
    mkdirSync(join(app, "src"), { recursive: true });
    const leak = ancestorNodeModules(app);
    if (leak !== undefined) throw new Error(`${leak} is above the test app: modules would resolve from it`);
    writeFileSync(join(app, "package.json"), `${JSON.stringify(appManifest, null, 2)}\n`);
    writeFileSync(join(app, "tsconfig.json"), `${JSON.stringify(appTsconfig, null, 2)}\n`);
    writeFileSync(join(app, "src", "server.ts"), serverSource);
    writeFileSync(join(app, "src", "client.ts"), clientSource);
    writeFileSync(join(app, "src", "every-export.ts"), everyExportSource(specifiers));
    // --prefer-offline: registry metadata already in npm's cache is used without asking again (the test is
    // about our tarballs; a cold cache still fetches everything).
    await run(
      "npm",
      [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        ...packed.map((pkg) => pkg.tarballPath),
        ...REGISTRY_PACKAGES,
      ],
      { cwd: app, timeout: 240_000 },
    );
    phase("npm install");
    // Emits even when it finds errors, so the runtime tests still run; the type-check test reports them.
    try {
      const output = await run(process.execPath, [join(app, "node_modules/typescript/bin/tsc"), "-p", "."], {
        cwd: app,
        timeout: 120_000,
      });
      typeCheck = { ok: true, output: output.stdout + output.stderr };
    } catch (error) {
      typeCheck = { ok: false, output: (error as Error).message };
    }
    phase("tsc");
    console.log(`install test: ${packed.length} packages; ${timings.join(", ")}`);
  }, 600_000);

  afterAll(async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      server.kill("SIGKILL");
      await once(server, "exit");
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("installs every package from its own tarball, with real version ranges and no link to the workspace", () => {
    expect(packed.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const pkg of packed) {
      const installed = join(app, "node_modules", pkg.manifest.name);
      if (lstatSync(installed).isSymbolicLink()) problems.push(`${pkg.manifest.name} is installed as a link`);
      if (!realpathSync(installed).startsWith(realpathSync(app)))
        problems.push(`${pkg.manifest.name} is outside`);
      const manifest = readFileSync(join(installed, "package.json"), "utf8");
      if (manifest.includes("workspace:")) problems.push(`${pkg.manifest.name} has a workspace: range`);
      if (manifest.includes("@switchyard/source"))
        problems.push(`${pkg.manifest.name} has the source condition`);
    }
    expect(problems).toEqual([]);
  });

  it("leaves npm a consistent tree: every dependency and peer dependency present and in range", async () => {
    const { stdout } = await run("npm", ["ls", "--all", "--json"], { cwd: app, timeout: 60_000 });
    const tree = JSON.parse(stdout) as { problems?: string[] };
    expect(tree.problems ?? []).toEqual([]);
  });

  it("type-checks an app importing every entry point, shipped declarations included, with the app's tsc", () => {
    expect(typeCheck.output.trim()).toBe("");
    expect(typeCheck.ok).toBe(true);
  });

  it("loads every entry point of every package in Node", async () => {
    const { stdout } = await run(process.execPath, ["dist/every-export.js"], { cwd: app, timeout: 60_000 });
    const exportCounts = JSON.parse(stdout) as Record<string, number>;
    expect(Object.keys(exportCounts).sort()).toEqual(specifiers);
    for (const specifier of specifiers) expect(exportCounts[specifier], specifier).toBeGreaterThan(0);
  });

  it("serves the openai SDK through Express with the OpenAI and mock providers and a limiter", async () => {
    const child = spawn(process.execPath, ["dist/server.js"], { cwd: app, env: outsideEnv(), stdio: "pipe" });
    server = child;
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    const baseURL = await new Promise<string>((resolve, reject) => {
      let stdout = "";
      child.stdout.setEncoding("utf8").on("data", (text: string) => {
        stdout += text;
        const match = /LISTENING (\S+)/.exec(stdout);
        if (match?.[1]) resolve(match[1]);
      });
      child.once("exit", (code) =>
        reject(new Error(`the app exited (${code}) before listening:\n${stderr}`)),
      );
    });

    const { stdout } = await run(process.execPath, ["dist/client.js", baseURL], {
      cwd: app,
      timeout: 30_000,
    });
    const result = JSON.parse(stdout) as {
      plain: { model: string; content: string | null; usage: number | undefined };
      stream: { model: string | undefined; text: string; chunks: number; usage: number | undefined };
      statuses: number[];
    };
    expect(result.plain.model).toBe(OPENAI_MODEL);
    expect(result.plain.content).toEqual(expect.stringMatching(/\S/));
    expect(result.plain.usage).toBeGreaterThan(0);
    expect(result.stream.model).toBe(MOCK_MODEL);
    expect(result.stream.text).toEqual(expect.stringMatching(/\S/));
    expect(result.stream.chunks).toBeGreaterThan(2);
    expect(result.stream.usage).toBeGreaterThan(0);
    // Two requests per model: the OpenAI model's second passes, its third is refused.
    expect(result.statuses).toEqual([200, 429]);

    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code, stderr).toBe(0);
  }, 60_000);

  it("installs the CLI with npm install -g from its tarball; switchyard --version and --help work", async () => {
    const cli = packed.find((pkg) => pkg.manifest.name === "@switchyard/cli");
    expect(cli).toBeDefined();
    if (!cli) return;
    // The CLI's @switchyard dependencies come from a local registry serving the tarballs (as they will
    // come from npm once published); everything else from the real registry.
    const registry = await startLocalRegistry(packed);
    const prefix = join(work, "global");
    try {
      await run(
        "npm",
        [
          "install",
          "-g",
          "--prefer-offline",
          "--prefix",
          prefix,
          `--@switchyard:registry=${registry.url}`,
          "--loglevel=error",
          cli.tarballPath,
        ],
        { cwd: work, timeout: 240_000 },
      );
    } finally {
      await registry.close();
    }
    const bin = join(prefix, "bin", "switchyard");
    expect(realpathSync(bin).startsWith(realpathSync(prefix))).toBe(true);
    const version: CommandOutput = await run(bin, ["--version"], { cwd: work, timeout: 30_000 });
    expect(version.stdout.trim()).toBe(cli.manifest.version);
    const help = await run(bin, ["--help"], { cwd: work, timeout: 30_000 });
    expect(help.stdout).toContain("switchyard serve");
    expect(help.stdout).toContain("--version");
  }, 300_000);
});
