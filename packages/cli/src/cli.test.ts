// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config files' ${VAR} placeholders.
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliIo, main } from "./cli.js";

interface FakeIo extends CliIo {
  readonly stdout: string;
  readonly stderr: string;
}

function fakeIo(env: NodeJS.ProcessEnv = {}): FakeIo {
  let stdout = "";
  let stderr = "";
  return {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    env,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
}

const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

describe("main", () => {
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "switchyard-cli-"));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function configFile(name: string, config: unknown): Promise<string> {
    const file = join(directory, name);
    await writeFile(file, typeof config === "string" ? config : JSON.stringify(config));
    return file;
  }

  it.each([["--version"], ["-v"]])("%s prints the package.json version", async (flag) => {
    const io = fakeIo();
    expect(await main([flag], io)).toBe(0);
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(io.stdout).toBe(`${manifest.version}\n`);
    expect(io.stderr).toBe("");
  });

  it.each([["--help"], ["-h"], ["help"], ["serve", "--help"]])("%s prints the usage", async (...argv) => {
    const io = fakeIo();
    expect(await main(argv, io)).toBe(0);
    expect(io.stdout).toContain("Usage:");
    expect(io.stdout).toContain("switchyard serve");
    expect(io.stdout).toContain("switchyard check --config FILE");
    expect(io.stderr).toBe("");
  });

  it("prints the usage and exits 2 without a command", async () => {
    const io = fakeIo();
    expect(await main([], io)).toBe(2);
    expect(io.stdout).toContain("Usage:");
  });

  it("exits 2 on an unknown command, naming it", async () => {
    const io = fakeIo();
    expect(await main(["deploy"], io)).toBe(2);
    expect(io.stderr).toContain("unknown command 'deploy'");
    expect(io.stderr).toContain("Usage:");
    expect(io.stdout).toBe("");
  });

  it("exits 2 on an unknown option", async () => {
    const io = fakeIo();
    expect(await main(["serve", "--verbose"], io)).toBe(2);
    expect(io.stderr).toContain("--verbose");
  });

  it("check --config reports a valid file and its providers", async () => {
    const file = await configFile("ok.json", {
      providers: [{ type: "mock" }, { type: "openai", name: "upstream", apiKey: "${UPSTREAM_KEY}" }],
    });
    const io = fakeIo({ UPSTREAM_KEY: "sk-check-secret-value" });
    expect(await main(["check", "--config", file], io)).toBe(0);
    expect(io.stdout).toBe(`${file}: ok — providers: mock, upstream\n`);
    expect(io.stdout + io.stderr).not.toContain("sk-check-secret-value");
  });

  it("check -c exits 1 on an invalid file, naming the file and the path", async () => {
    const file = await configFile("bad.json", { providers: [{ type: "mock" }], server: { port: "80" } });
    const io = fakeIo();
    expect(await main(["check", "-c", file], io)).toBe(1);
    expect(io.stderr).toMatch(/^switchyard: .*bad\.json: server\.port: /);
    expect(io.stdout).toBe("");
  });

  it("check exits 1 when a provider rejects its options, naming providers[N]", async () => {
    const file = await configFile("bad-provider.json", {
      providers: [{ type: "mock" }, { type: "openai", baseURL: "not a url" }],
    });
    const io = fakeIo();
    expect(await main(["check", "--config", file], io)).toBe(1);
    expect(io.stderr).toContain("providers[1] (openai)");
  });

  it("check exits 1 on a missing variable without printing the others' values", async () => {
    const file = await configFile("env.json", {
      providers: [{ type: "mock" }],
      auth: {
        keys: [
          { id: "present", key: "${PRESENT_KEY}" },
          { id: "absent", key: "${ABSENT_KEY}" },
        ],
      },
    });
    const io = fakeIo({ PRESENT_KEY: "gk-present-secret-value" });
    expect(await main(["check", "--config", file], io)).toBe(1);
    expect(io.stderr).toContain("auth.keys[1].key");
    expect(io.stderr).toContain("ABSENT_KEY");
    expect(io.stdout + io.stderr).not.toContain("gk-present-secret-value");
  });

  it("check exits 1 on a missing file", async () => {
    const io = fakeIo();
    const file = join(directory, "nope.json");
    expect(await main(["check", "--config", file], io)).toBe(1);
    expect(io.stderr).toBe(`switchyard: ${file}: cannot read config (no such file).\n`);
  });

  it("check exits 1 without --config", async () => {
    const io = fakeIo();
    expect(await main(["check"], io)).toBe(1);
    expect(io.stderr).toContain("--config");
  });

  // These fail before `listen`, so no server starts and no signal handler is installed.
  it("serve exits 1 on an invalid config file", async () => {
    const file = await configFile("serve-bad.json", { providers: [] });
    const io = fakeIo();
    expect(await main(["serve", "--config", file], io)).toBe(1);
    expect(io.stderr).toContain(`${file}: providers: at least one provider is needed`);
    expect(io.stdout).toBe("");
  });

  it("serve exits 1 on a port out of range", async () => {
    const io = fakeIo();
    expect(await main(["serve", "--port", "70000"], io)).toBe(1);
    expect(io.stderr).toContain("--port must be 0-65535, not '70000'");
  });
});
