import { defineConfig } from "vitest/config";

// Tests run against TypeScript sources: the `@switchyard/source` export condition maps every workspace
// package to its `src/index.ts`, so no build is needed between an edit and a test run.
export default defineConfig({
  resolve: { conditions: ["@switchyard/source"] },
  ssr: { resolve: { conditions: ["@switchyard/source"] } },
  test: {
    include: [
      "packages/*/src/**/*.test.ts",
      "packages/*/test/**/*.test.ts",
      "examples/*/test/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    testTimeout: 20_000,
    // The JSON report is what .ci/run reads for its closing "N passed, M failed" line.
    reporters: ["default", ["json", { outputFile: ".test-results/vitest.json" }]],
    hookTimeout: 20_000,
  },
});
