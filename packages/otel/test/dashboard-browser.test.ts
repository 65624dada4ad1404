import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DashboardStack, startDashboardStack } from "./dashboard-server.js";
import { findChromium, runChromium } from "./headless-chromium.js";

// The dashboard page as a browser renders it: Debian's `chromium`, headless. Without it the test is
// skipped on a developer machine, and fails under CI (whose .ci/run installs it).
const chromium = findChromium();
const skipReason =
  chromium === undefined && !process.env.CI
    ? "skipped: no chromium on PATH (apt-get install -y chromium, or set CHROMIUM_BIN)"
    : undefined;

const WIDTH = 1280;
const HEIGHT = 900;

let running: DashboardStack;
let directory: string;

/** The text of each `data-field` cell of the row `name` in table `table` of a dumped DOM. */
function row(dom: string, table: string, name: string): Record<string, string> {
  const tableHtml = new RegExp(`<table id="${table}">([\\s\\S]*?)</table>`).exec(dom)?.[1] ?? "";
  const rowHtml = new RegExp(`<tr data-name="${name.replace(/[/.]/g, "\\$&")}">([\\s\\S]*?)</tr>`).exec(
    tableHtml,
  )?.[1];
  if (rowHtml === undefined) throw new Error(`no row '${name}' in table '${table}':\n${tableHtml}`);
  const cells: Record<string, string> = {};
  for (const match of rowHtml.matchAll(/<td data-field="(\w+)"[^>]*>([^<]*)<\/td>/g))
    cells[match[1] as string] = match[2] as string;
  return cells;
}

function text(dom: string, id: string): string | undefined {
  return new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(dom)?.[1];
}

const format = (value: number) => new Intl.NumberFormat("en-US").format(value);

describe.skipIf(skipReason !== undefined)(`the dashboard in headless Chromium ${skipReason ?? ""}`, () => {
  beforeAll(async () => {
    if (!chromium)
      throw new Error("CI is set but chromium is not installed: .ci/run must apt-get install chromium.");
    running = await startDashboardStack();
    directory = mkdtempSync(join(tmpdir(), "switchyard-dashboard-"));
  }, 60_000);

  afterAll(async () => {
    await running?.close();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it("renders the numbers of /dashboard/data, and a screenshot of them", async () => {
    const file = join(directory, "dashboard.png");
    // Two runs of the browser, side by side: one dumps the DOM, one takes the screenshot.
    const [dom] = await Promise.all([
      runChromium(chromium as string, running.pageUrl, ["--dump-dom"]),
      runChromium(chromium as string, running.pageUrl, [
        `--screenshot=${file}`,
        `--window-size=${WIDTH},${HEIGHT}`,
      ]),
    ]);
    expect(dom).toContain('data-loaded="true"');
    expect(text(dom, "status")).toBe("live");
    expect(text(dom, "requests-total")).toBe(String(running.expected.requests));
    expect(text(dom, "in-flight")).toBe("0");
    expect(text(dom, "latency-p50")).toMatch(/^[\d.,]+$/);
    expect(text(dom, "ttft-count")).toBe("1 samples");

    const { perPrincipal } = running.expected;
    for (const [principal, expected] of Object.entries(perPrincipal)) {
      expect(row(dom, "principals", principal)).toMatchObject({
        requests: format(expected.requests),
        inputTokens: format(expected.inputTokens),
        outputTokens: format(expected.outputTokens),
      });
    }
    const totals = Object.values(perPrincipal);
    expect(row(dom, "models", "up/mock-1")).toMatchObject({
      requests: "3",
      inputTokens: format(totals.reduce((sum, entry) => sum + entry.inputTokens, 0)),
      outputTokens: format(totals.reduce((sum, entry) => sum + entry.outputTokens, 0)),
    });
    expect(row(dom, "providers", "up")).toMatchObject({
      attempts: "4",
      failures: "1",
      errorRate: "25.0 %",
      retries: "1",
    });
    expect(row(dom, "breakers", "up#0")).toMatchObject({ state: "closed", inFlight: "0" });

    expect(existsSync(file)).toBe(true);
    const png = readFileSync(file);
    expect(png.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
    // IHDR: width and height, big-endian, right after the signature and the chunk header.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([WIDTH, HEIGHT]);
    // A blank page of this size compresses to a few KB; cards, tables and text take far more.
    expect(png.byteLength).toBeGreaterThan(20_000);
    // To look at it: SWITCHYARD_SCREENSHOT_DIR=/tmp pnpm exec vitest run packages/otel/test/dashboard-browser.test.ts
    const keep = process.env.SWITCHYARD_SCREENSHOT_DIR;
    if (keep) copyFileSync(file, join(keep, "switchyard-dashboard.png"));
  }, 120_000);
});
