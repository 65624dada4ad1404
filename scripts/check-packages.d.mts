/** Types of the checks `check-packages.mjs` exports for its test (`test/check-packages.test.ts`). */

/** A package under packages/: its folder name, its path and its parsed package.json. */
export interface WorkspacePackage {
  dir: string;
  path: string;
  // biome-ignore lint/suspicious/noExplicitAny: a package.json as parsed, any field may be checked
  manifest: Record<string, any>;
}

/** Problems of a workspace manifest and the README and CHANGELOG beside it. */
export function manifestProblems(pkg: WorkspacePackage, groupVersion: string): string[];

/** Problems of the packed package.json: leftover ranges, conditions, missing targets. */
export function packedManifestProblems(
  packed: Record<string, unknown>,
  files: ReadonlyMap<string, string>,
  versions: ReadonlyMap<string, string>,
): string[];

/** Problems of the files in a tarball (paths relative to the package root, with their text). */
export function contentProblems(
  packed: Record<string, unknown>,
  files: ReadonlyMap<string, string>,
): string[];

/** Bare module specifiers a JavaScript or declaration file imports. */
export function bareImports(text: string): Set<string>;
