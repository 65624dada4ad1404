#!/usr/bin/env node
/**
 * Checks every package under `packages/` as npm users will get it: packs them all with `pnpm pack` (the way
 * `changeset publish` publishes them) into a temporary folder, then for each tarball runs publint, Are The
 * Types Wrong (profile "esm-only": the packages are ESM-only by design, so CommonJS `require` and the
 * pre-exports `node10` resolution are not supported) and the checks neither of them makes:
 *
 * - the manifest: description, license, repository (with this package's directory), engines, sideEffects,
 *   `publishConfig` (public access, and an `exports` map equal to the workspace one minus the
 *   `@switchyard/source` condition, so the two cannot drift), one version for every package (they are
 *   released together), a README with an install line and a TypeScript example, a CHANGELOG;
 * - the packed manifest: no `workspace:` range left, no `@switchyard/source` condition, `types` first in
 *   every condition list, every export target in the tarball, workspace dependencies at their versions;
 * - the tarball: only what ships (dist, src for the source maps, README, CHANGELOG, LICENSE), no test or
 *   fixture file, every source map's sources inside it, and every bare import of its JavaScript and
 *   declarations declared as a dependency or peer dependency (a package must not lean on the workspace's
 *   hoisted node_modules).
 *
 * It does not build: run `tsc -b` first (`pnpm run check:packages` does). Exits 1 when any check fails.
 * Usage: `node scripts/check-packages.mjs [package-dir-name ...]` (all packages when none is given).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { join, posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));

/** The repository every manifest points to (a placeholder organisation until the project has its own). */
const REPOSITORY_URL = "git+https://github.com/switchyard-gateway/switchyard.git";
/** The workspace-only export condition that maps a package to its TypeScript sources. */
const SOURCE_CONDITION = "@switchyard/source";
/** attw's "esm-only" profile: resolutions an ESM-only package is not meant to satisfy. */
const IGNORED_RESOLUTIONS = new Set(["node10", "node16-cjs"]);
/** What a tarball may hold besides package.json. */
const SHIPPED = [/^dist\//, /^src\//, /^README\.md$/, /^CHANGELOG\.md$/, /^LICENSE$/];
const NEVER_SHIPPED = [/\.test\./, /__fixtures__/, /\.tsbuildinfo$/, /(^|\/)tsconfig[^/]*\.json$/];

/** @typedef {{ dir: string, path: string, manifest: Record<string, any> }} WorkspacePackage */

/** The non-private packages under packages/, or those named on the command line. */
function discoverPackages(only) {
  const packagesDir = join(root, "packages");
  /** @type {WorkspacePackage[]} */
  const found = [];
  for (const dir of readdirSync(packagesDir).sort()) {
    const manifestPath = join(packagesDir, dir, "package.json");
    if (!existsSync(manifestPath)) continue;
    if (only.length > 0 && !only.includes(dir)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    if (manifest.private) continue;
    found.push({ dir, path: join(packagesDir, dir), manifest });
  }
  return found;
}

/** A copy of an exports value without the workspace-only source condition, order kept. */
function withoutSourceCondition(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== SOURCE_CONDITION)
      .map(([key, inner]) => [key, withoutSourceCondition(inner)]),
  );
}

/** Calls `visit(conditions, where)` for every condition object of an exports map. */
function walkConditions(value, where, visit) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return;
  const keys = Object.keys(value);
  if (keys.every((key) => key.startsWith("."))) {
    for (const key of keys) walkConditions(value[key], `${where}["${key}"]`, visit);
    return;
  }
  visit(value, where);
  for (const key of keys) walkConditions(value[key], `${where}.${key}`, visit);
}

/** Every file target of an exports map. */
function exportTargets(value) {
  if (typeof value === "string") return [value];
  if (value === null || typeof value !== "object") return [];
  return Object.values(value).flatMap(exportTargets);
}

/** Problems of a workspace manifest and the files beside it. */
export function manifestProblems(pkg, groupVersion) {
  const { manifest, dir, path } = pkg;
  const problems = [];
  for (const field of ["name", "version", "description", "license"]) {
    if (typeof manifest[field] !== "string" || manifest[field] === "") problems.push(`"${field}" is missing`);
  }
  if (manifest.version !== groupVersion) {
    problems.push(
      `version ${manifest.version} differs from the other packages' ${groupVersion} (released together)`,
    );
  }
  if (manifest.type !== "module") problems.push(`"type" must be "module"`);
  if (typeof manifest.engines?.node !== "string") problems.push(`"engines.node" is missing`);
  if (manifest.sideEffects === undefined) problems.push(`"sideEffects" is missing`);
  const repository = manifest.repository;
  if (
    repository?.type !== "git" ||
    repository.url !== REPOSITORY_URL ||
    repository.directory !== `packages/${dir}`
  ) {
    problems.push(
      `"repository" must be ${JSON.stringify({ type: "git", url: REPOSITORY_URL, directory: `packages/${dir}` })}`,
    );
  }
  if (!Array.isArray(manifest.files) || !manifest.files.includes("dist"))
    problems.push(`"files" must list "dist"`);
  if (manifest.exports === undefined) problems.push(`"exports" is missing`);
  walkConditions(manifest.exports, "exports", (conditions, where) => {
    const keys = Object.keys(conditions);
    const source = conditions[SOURCE_CONDITION];
    if (source === undefined) return;
    if (keys[0] !== SOURCE_CONDITION) problems.push(`${where}: "${SOURCE_CONDITION}" must come first`);
    if (typeof source !== "string" || !existsSync(join(path, source))) {
      problems.push(`${where}: "${SOURCE_CONDITION}" points to a missing file (${source})`);
    }
  });
  if (manifest.publishConfig?.access !== "public") problems.push(`"publishConfig.access" must be "public"`);
  const published = withoutSourceCondition(manifest.exports);
  if (JSON.stringify(manifest.publishConfig?.exports) !== JSON.stringify(published)) {
    problems.push(
      `"publishConfig.exports" must be "exports" without "${SOURCE_CONDITION}": ${JSON.stringify(published)}`,
    );
  }
  const readme = readText(join(path, "README.md"));
  if (readme === undefined) problems.push("README.md is missing");
  else {
    const name = escapeRegExp(manifest.name);
    if (!new RegExp(`^(npm install|pnpm add|yarn add)\\b[^\\n]*\\s${name}(\\s|$)`, "m").test(readme)) {
      problems.push(`README.md has no install line (npm install ${manifest.name})`);
    }
    if (!/^```ts\b/m.test(readme)) problems.push("README.md has no TypeScript example (a ```ts block)");
  }
  const changelog = readText(join(path, "CHANGELOG.md"));
  if (changelog === undefined || !changelog.startsWith(`# ${manifest.name}\n`)) {
    problems.push(`CHANGELOG.md is missing or does not start with "# ${manifest.name}"`);
  }
  return problems;
}

/** Problems of the packed package.json. */
export function packedManifestProblems(packed, files, versions) {
  const problems = [];
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
    for (const [name, range] of Object.entries(packed[field] ?? {})) {
      if (String(range).startsWith("workspace:")) problems.push(`${field}.${name} is still "${range}"`);
      const version = versions.get(name);
      if (version !== undefined && ![`^${version}`, `~${version}`, version].includes(range)) {
        problems.push(`${field}.${name} is "${range}", not a range of the workspace's ${version}`);
      }
    }
  }
  if (JSON.stringify(packed.exports ?? {}).includes(SOURCE_CONDITION)) {
    problems.push(`the packed "exports" still has "${SOURCE_CONDITION}" (set "publishConfig.exports")`);
  }
  walkConditions(packed.exports, "exports", (conditions, where) => {
    if ("types" in conditions && Object.keys(conditions)[0] !== "types") {
      problems.push(`${where}: "types" must be the first condition`);
    }
  });
  const bins = typeof packed.bin === "string" ? [packed.bin] : Object.values(packed.bin ?? {});
  for (const target of [...exportTargets(packed.exports), ...bins]) {
    if (!files.has(posix.normalize(target))) problems.push(`"${target}" is not in the tarball`);
  }
  return problems;
}

/** Problems of the files in the tarball: what ships, source maps, undeclared imports. */
export function contentProblems(packed, files) {
  const problems = [];
  for (const required of ["README.md", "CHANGELOG.md", "LICENSE"]) {
    if (!files.has(required)) problems.push(`${required} is not in the tarball`);
  }
  const declared = new Set([
    packed.name,
    ...Object.keys(packed.dependencies ?? {}),
    ...Object.keys(packed.peerDependencies ?? {}),
    ...Object.keys(packed.optionalDependencies ?? {}),
  ]);
  const undeclared = new Map();
  const unmapped = [];
  for (const [file, text] of files) {
    if (file === "package.json") continue;
    if (
      !SHIPPED.some((pattern) => pattern.test(file)) ||
      NEVER_SHIPPED.some((pattern) => pattern.test(file))
    ) {
      problems.push(`${file} should not ship (check "files")`);
      continue;
    }
    if (file.endsWith(".map")) {
      const map = JSON.parse(text);
      for (const source of map.sources ?? []) {
        const resolved = posix.normalize(posix.join(posix.dirname(file), map.sourceRoot ?? "", source));
        if (!files.has(resolved)) unmapped.push(resolved);
      }
    } else if (/\.(js|d\.ts)$/.test(file)) {
      for (const specifier of bareImports(text)) {
        const name = packageNameOf(specifier);
        if (!declared.has(name)) undeclared.set(name, file);
      }
    }
  }
  if (unmapped.length > 0) {
    const sources = [...new Set(unmapped)];
    problems.push(
      `source maps point to ${sources.length} files not in the tarball (${sources.slice(0, 3).join(", ")}${sources.length > 3 ? ", ..." : ""}): ship "src"`,
    );
  }
  for (const [name, file] of undeclared) {
    problems.push(`${file} imports "${name}", which is not a dependency or peer dependency`);
  }
  return problems;
}

/** Bare module specifiers a JavaScript or declaration file imports (static, dynamic, `import("x").T`). */
export function bareImports(text) {
  const specifiers = new Set();
  const patterns = [
    /^\s*(?:import|export)\b[^;"']*?\bfrom\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /^\/\/\/\s*<reference\s+types=["']([^"']+)["']/gm,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1];
      if (specifier === undefined || specifier.startsWith(".") || specifier.startsWith("/")) continue;
      if (isBuiltin(specifier)) continue;
      specifiers.add(specifier);
    }
  }
  return specifiers;
}

function packageNameOf(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

async function publintProblems(tarball, packed) {
  const { publint } = await import("publint");
  const { formatMessage } = await import("publint/utils");
  const { messages } = await publint({
    pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) },
    level: "suggestion",
    strict: true,
  });
  const problems = [];
  const notes = [];
  for (const message of messages) {
    const text = `publint ${message.code}: ${formatMessage(message, packed) ?? ""}`;
    (message.type === "suggestion" ? notes : problems).push(text);
  }
  return { problems, notes };
}

async function typesProblems(attwPackage) {
  const { checkPackage } = await import("@arethetypeswrong/core");
  const result = await checkPackage(attwPackage);
  if (!result.types) return ["attw: the package has no types"];
  return result.problems
    .filter((problem) => !("resolutionKind" in problem) || !IGNORED_RESOLUTIONS.has(problem.resolutionKind))
    .map((problem) => {
      const { kind, ...details } = problem;
      return `attw ${kind}: ${JSON.stringify(details)}`;
    });
}

function readText(path) {
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function main() {
  const packages = discoverPackages(process.argv.slice(2));
  if (packages.length === 0) {
    console.error("check-packages: no package found");
    return 1;
  }
  const versions = new Map(packages.map((pkg) => [pkg.manifest.name, pkg.manifest.version]));
  // The most common version is the group's: a package that differs is the one to fix.
  const counts = new Map();
  for (const version of versions.values()) counts.set(version, (counts.get(version) ?? 0) + 1);
  const groupVersion = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];

  const destination = mkdtempSync(join(tmpdir(), "switchyard-pack-"));
  let failed = 0;
  try {
    const filters = packages.flatMap((pkg) => ["--filter", `./packages/${pkg.dir}`]);
    await run("pnpm", [...filters, "pack", "--pack-destination", destination], { cwd: root });
    for (const pkg of packages) {
      const problems = manifestProblems(pkg, groupVersion);
      const notes = [];
      const tarballName = `${pkg.manifest.name.replace(/^@/, "").replace("/", "-")}-${pkg.manifest.version}.tgz`;
      const tarballPath = join(destination, tarballName);
      let summary = "";
      if (!existsSync(tarballPath)) problems.push(`pnpm pack made no ${tarballName}`);
      else {
        const tarball = readFileSync(tarballPath);
        // attw loads its own TypeScript: imported here, so importing the checks alone (their test) stays light.
        const { createPackageFromTarballData } = await import("@arethetypeswrong/core");
        const attwPackage = createPackageFromTarballData(new Uint8Array(tarball));
        const prefix = `/node_modules/${attwPackage.packageName}/`;
        const files = new Map(
          attwPackage.listFiles().map((file) => [file.slice(prefix.length), attwPackage.readFile(file)]),
        );
        const packed = JSON.parse(files.get("package.json") ?? "{}");
        problems.push(...packedManifestProblems(packed, files, versions), ...contentProblems(packed, files));
        const lint = await publintProblems(tarball, packed);
        problems.push(...lint.problems, ...(await typesProblems(attwPackage)));
        notes.push(...lint.notes);
        summary = `${files.size} files, ${(tarball.byteLength / 1024).toFixed(1)} kB packed`;
      }
      if (problems.length > 0) failed += 1;
      console.log(
        `${problems.length > 0 ? "FAIL" : "ok  "} ${pkg.manifest.name}${summary ? ` (${summary})` : ""}`,
      );
      for (const problem of problems) console.log(`       - ${problem}`);
      for (const note of notes) console.log(`       note: ${note}`);
    }
  } finally {
    rmSync(destination, { recursive: true, force: true });
  }
  console.log(
    failed > 0
      ? `check-packages: ${failed} of ${packages.length} packages are not ready to publish`
      : `check-packages: ${packages.length} packages ready to publish (publint, attw --profile esm-only)`,
  );
  return failed > 0 ? 1 : 0;
}

// Run as a script; imported (by its test), it only exports the checks.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  process.exitCode = await main();
}
