import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  bareImports,
  contentProblems,
  manifestProblems,
  packedManifestProblems,
} from "../scripts/check-packages.mjs";

const REPOSITORY = "git+https://github.com/switchyard-gateway/switchyard.git";

/** A manifest as every package under packages/ must have it. */
function goodManifest() {
  return {
    name: "@switchyard/example",
    version: "1.2.3",
    description: "An example.",
    license: "MIT",
    repository: { type: "git", url: REPOSITORY, directory: "packages/example" },
    type: "module",
    engines: { node: ">=20.18" },
    sideEffects: false,
    exports: {
      ".": { "@switchyard/source": "./src/index.ts", types: "./dist/index.d.ts", default: "./dist/index.js" },
    },
    publishConfig: {
      access: "public",
      exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } },
    },
    files: ["dist", "src", "!**/*.test.*", "README.md", "CHANGELOG.md"],
  };
}

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** A package folder with `src/index.ts`, and the README and CHANGELOG given. */
function packageFolder(readme: string | undefined, changelog: string | undefined): string {
  const path = mkdtempSync(join(tmpdir(), "swy-check-"));
  folders.push(path);
  mkdirSync(join(path, "src"));
  writeFileSync(join(path, "src", "index.ts"), "export const x = 1;\n");
  if (readme !== undefined) writeFileSync(join(path, "README.md"), readme);
  if (changelog !== undefined) writeFileSync(join(path, "CHANGELOG.md"), changelog);
  return path;
}

const goodReadme =
  "# @switchyard/example\n\n```sh\nnpm install @switchyard/example @switchyard/core\n```\n\n```ts\nx;\n```\n";

describe("manifest checks", () => {
  it("passes a publish-ready manifest", () => {
    const path = packageFolder(goodReadme, "# @switchyard/example\n");
    expect(manifestProblems({ dir: "example", path, manifest: goodManifest() }, "1.2.3")).toEqual([]);
  });

  it("finds what a package still needs before it can be published", () => {
    const path = packageFolder("# @switchyard/example\n\nNo install line, no example.\n", undefined);
    const manifest: Record<string, unknown> = {
      ...goodManifest(),
      version: "0.1.0",
      repository: { type: "git", url: REPOSITORY, directory: "packages/other" },
      exports: { ".": { types: "./dist/index.d.ts", "@switchyard/source": "./src/missing.ts" } },
      publishConfig: undefined,
    };
    expect(manifestProblems({ dir: "example", path, manifest }, "1.2.3")).toEqual([
      "version 0.1.0 differs from the other packages' 1.2.3 (released together)",
      `"repository" must be {"type":"git","url":"${REPOSITORY}","directory":"packages/example"}`,
      `exports["."]: "@switchyard/source" must come first`,
      `exports["."]: "@switchyard/source" points to a missing file (./src/missing.ts)`,
      `"publishConfig.access" must be "public"`,
      `"publishConfig.exports" must be "exports" without "@switchyard/source": {".":{"types":"./dist/index.d.ts"}}`,
      "README.md has no install line (npm install @switchyard/example)",
      "README.md has no TypeScript example (a ```ts block)",
      `CHANGELOG.md is missing or does not start with "# @switchyard/example"`,
    ]);
  });

  it("catches a publishConfig.exports that drifted from exports (a subpath added to one map only)", () => {
    const path = packageFolder(goodReadme, "# @switchyard/example\n");
    const manifest = goodManifest();
    const exportsMap: Record<string, unknown> = { ...manifest.exports };
    exportsMap["./extra"] = { "@switchyard/source": "./src/index.ts", types: "./dist/extra.d.ts" };
    const problems = manifestProblems(
      { dir: "example", path, manifest: { ...manifest, exports: exportsMap } },
      "1.2.3",
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`"./extra":{"types":"./dist/extra.d.ts"}`);
  });
});

describe("packed manifest checks", () => {
  const files = new Map([
    ["package.json", "{}"],
    ["dist/index.js", ""],
    ["dist/index.d.ts", ""],
  ]);
  const versions = new Map([
    ["@switchyard/example", "1.2.3"],
    ["@switchyard/core", "1.2.3"],
  ]);

  it("passes real ranges, types first and targets in the tarball", () => {
    const packed = {
      name: "@switchyard/example",
      dependencies: { "@switchyard/core": "^1.2.3", zod: "^4.1.0" },
      exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } },
    };
    expect(packedManifestProblems(packed, files, versions)).toEqual([]);
  });

  it("finds workspace ranges, the source condition, types out of order and missing files", () => {
    const packed = {
      name: "@switchyard/example",
      dependencies: { "@switchyard/core": "workspace:^" },
      peerDependencies: { "@switchyard/core": "^0.9.0" },
      exports: {
        ".": {
          "@switchyard/source": "./src/index.ts",
          types: "./dist/index.d.ts",
          default: "./dist/index.js",
        },
      },
      bin: { example: "./dist/bin.js" },
    };
    expect(packedManifestProblems(packed, files, versions)).toEqual([
      `dependencies.@switchyard/core is still "workspace:^"`,
      `dependencies.@switchyard/core is "workspace:^", not a range of the workspace's 1.2.3`,
      `peerDependencies.@switchyard/core is "^0.9.0", not a range of the workspace's 1.2.3`,
      `the packed "exports" still has "@switchyard/source" (set "publishConfig.exports")`,
      `exports["."]: "types" must be the first condition`,
      `"./src/index.ts" is not in the tarball`,
      `"./dist/bin.js" is not in the tarball`,
    ]);
  });
});

describe("tarball content checks", () => {
  const packed = {
    name: "@switchyard/example",
    dependencies: { zod: "^4.1.0", "@switchyard/core": "^1.2.3" },
    peerDependencies: { express: "^5.0.0" },
  };
  const base: Array<[string, string]> = [
    ["package.json", "{}"],
    ["README.md", ""],
    ["CHANGELOG.md", ""],
    ["LICENSE", ""],
    ["src/index.ts", ""],
    ["dist/index.js.map", JSON.stringify({ sources: ["../src/index.ts"] })],
  ];

  it("passes declared, built-in, peer and self imports", () => {
    const files = new Map([
      ...base,
      [
        "dist/index.js",
        [
          'import { z } from "zod";',
          'import { createServer } from "node:http";',
          'import { EventEmitter } from "events";',
          'export { createGateway } from "@switchyard/core";',
          'import type { Express } from "express";',
          'export * from "./local.js";',
          'const late = await import("@switchyard/example/extra");',
        ].join("\n"),
      ],
    ] as Array<[string, string]>);
    expect(contentProblems(packed, files)).toEqual([]);
  });

  it("finds files that must not ship, dangling source maps, undeclared imports and a missing LICENSE", () => {
    const files = new Map([
      ...base.filter(([file]) => file !== "LICENSE" && file !== "src/index.ts"),
      ["dist/index.js", 'import { trace } from "@opentelemetry/api";\n'],
      ["dist/index.d.ts", 'export declare const agent: import("undici").Agent;\n'],
      ["dist/index.test.js", ""],
      ["src/__fixtures__/answer.json", "{}"],
      ["tsconfig.json", "{}"],
    ] as Array<[string, string]>);
    expect(contentProblems(packed, files)).toEqual([
      "LICENSE is not in the tarball",
      'dist/index.test.js should not ship (check "files")',
      'src/__fixtures__/answer.json should not ship (check "files")',
      'tsconfig.json should not ship (check "files")',
      `source maps point to 1 files not in the tarball (src/index.ts): ship "src"`,
      `dist/index.js imports "@opentelemetry/api", which is not a dependency or peer dependency`,
      `dist/index.d.ts imports "undici", which is not a dependency or peer dependency`,
    ]);
  });
});

describe("bareImports", () => {
  it("reads static, side-effect, re-export, dynamic and type-reference imports; skips relative and built-in", () => {
    const text = [
      'import a from "alpha";',
      'import "beta/register";',
      'export { c } from "@scope/gamma/sub";',
      'import {\n  d,\n  e,\n} from "delta";',
      'const f = await import("epsilon");',
      "type G = import('zeta').G;",
      '/// <reference types="eta" />',
      'import h from "./local.js";',
      'import i from "node:fs";',
      'const note = "this line mentions from \\"theta\\" in a string";',
    ].join("\n");
    expect([...bareImports(text)].sort()).toEqual([
      "@scope/gamma/sub",
      "alpha",
      "beta/register",
      "delta",
      "epsilon",
      "eta",
      "zeta",
    ]);
  });
});
