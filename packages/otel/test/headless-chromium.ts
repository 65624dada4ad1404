import { execFile } from "node:child_process";
import { accessSync, constants, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

const CANDIDATES = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"];

/** The Chromium to drive: `$CHROMIUM_BIN`, else the first of the usual names on PATH. */
export function findChromium(): string | undefined {
  const explicit = process.env.CHROMIUM_BIN;
  if (explicit) return explicit;
  for (const directory of (process.env.PATH ?? "").split(delimiter)) {
    for (const name of CANDIDATES) {
      const file = join(directory, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {}
    }
  }
  return undefined;
}

/**
 * Runs headless Chromium once on `url` with `extra` flags (`--dump-dom`, `--screenshot=...`) in a fresh
 * profile, quiet and offline apart from the page. `--virtual-time-budget` lets the page's fetches and
 * timers run before the DOM is dumped or the screenshot taken. Resolves with stdout.
 */
export function runChromium(binary: string, url: string, extra: readonly string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), "switchyard-chromium-"));
  const args = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    `--user-data-dir=${profile}`,
    "--virtual-time-budget=5000",
    ...extra,
    url,
  ];
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`chromium failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}
