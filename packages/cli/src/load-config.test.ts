// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config files' ${VAR} placeholders.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SwitchyardError } from "@switchyard/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfig, loadConfig, parseConfig } from "./load-config.js";

function thrownBy(run: () => unknown): SwitchyardError {
  try {
    run();
  } catch (error) {
    if (SwitchyardError.is(error)) return error;
    throw error;
  }
  throw new Error("expected a SwitchyardError, nothing was thrown");
}

async function rejectionOf(promise: Promise<unknown>): Promise<SwitchyardError> {
  try {
    await promise;
  } catch (error) {
    if (SwitchyardError.is(error)) return error;
    throw error;
  }
  throw new Error("expected a SwitchyardError, the promise resolved");
}

describe("parseConfig", () => {
  it("fills every default of a minimal config", () => {
    const config = parseConfig({ providers: [{ type: "mock" }] }, {});
    expect(config).toMatchObject({
      server: {
        host: "127.0.0.1",
        port: 8787,
        pathPrefix: "",
        graceMs: 10_000,
        headersTimeoutMs: 30_000,
        requestTimeoutMs: 120_000,
        keepAliveTimeoutMs: 65_000,
      },
      providers: [{ type: "mock" }],
      log: { level: "info" },
      dialects: [],
    });
  });

  it("keeps provider options it does not know, for the provider to check", () => {
    const config = parseConfig({ providers: [{ type: "mock", name: "slow", tokensPerSecond: 40 }] }, {});
    expect(config.providers).toEqual([{ type: "mock", name: "slow", tokensPerSecond: 40 }]);
  });

  it("interpolates the environment before validating", () => {
    const config = parseConfig(
      {
        server: { host: "${HOST:-0.0.0.0}" },
        providers: [{ type: "mock" }],
        auth: { keys: [{ id: "ci", key: "${GATEWAY_KEY}" }] },
      },
      { GATEWAY_KEY: "gk-0123456789abcdef" },
    );
    expect(config.server.host).toBe("0.0.0.0");
    expect(config.auth).toEqual({ required: true, keys: [{ id: "ci", key: "gk-0123456789abcdef" }] });
  });

  it("rejects an unknown key, naming where it is", () => {
    const error = thrownBy(() => parseConfig({ providers: [{ type: "mock" }], server: { prot: 8080 } }, {}));
    expect(error.code).toBe("SWY_ERR_CONFIG_INVALID");
    expect(error.message).toMatch(/^config: server: .*"prot"/);
  });

  it("rejects an unknown top-level key", () => {
    expect(thrownBy(() => parseConfig({ providers: [{ type: "mock" }], provider: [] }, {})).message).toMatch(
      /^config: \(root\): .*"provider"/,
    );
  });

  it("rejects a value of the wrong type, naming its path", () => {
    const error = thrownBy(() =>
      parseConfig({ providers: [{ type: "mock" }], server: { port: "8080" } }, {}),
    );
    expect(error.code).toBe("SWY_ERR_CONFIG_INVALID");
    expect(error.message).toMatch(/^config: server\.port: /);
  });

  it("names the source it was given", () => {
    expect(thrownBy(() => parseConfig({ providers: [] }, {}, "gateway.json")).message).toBe(
      "gateway.json: providers: at least one provider is needed",
    );
  });

  it("rejects a provider without a type, naming its index", () => {
    const error = thrownBy(() => parseConfig({ providers: [{ type: "mock" }, { name: "second" }] }, {}));
    expect(error.message).toMatch(/^config: providers\[1\]\.type: /);
  });

  it("rejects an unknown provider type", () => {
    expect(thrownBy(() => parseConfig({ providers: [{ type: "cohere" }] }, {})).message).toMatch(
      /^config: providers\[0\]\.type: /,
    );
  });

  it("rejects auth.required with no keys", () => {
    for (const auth of [{}, { required: true }, { required: true, keys: [] }]) {
      const error = thrownBy(() => parseConfig({ providers: [{ type: "mock" }], auth }, {}));
      expect(error.message).toBe("config: auth.keys: auth.required is true but no keys are configured");
    }
  });

  it("accepts auth with no keys when it is not required", () => {
    expect(parseConfig({ providers: [{ type: "mock" }], auth: { required: false } }, {}).auth).toEqual({
      required: false,
      keys: [],
    });
  });

  it("reports every problem, not just the first", () => {
    const error = thrownBy(() =>
      parseConfig({ providers: [{ type: "mock" }], server: { port: -1 }, log: { level: "loud" } }, {}),
    );
    expect(error.message).toContain("server.port: ");
    expect(error.message).toContain("log.level: ");
  });

  it("reports a missing variable with the source and path, never another variable's value", () => {
    const error = thrownBy(() =>
      parseConfig(
        {
          providers: [{ type: "openai", apiKey: "${OPENAI_API_KEY}", organization: "${ORG}" }],
        },
        { ORG: "org-secret-ish" },
        "prod.json",
      ),
    );
    expect(error.message).toBe(
      "prod.json: providers[0].apiKey: environment variable OPENAI_API_KEY is not set.",
    );
  });
});

describe("loadConfig", () => {
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "switchyard-load-config-"));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function configFile(name: string, text: string): Promise<string> {
    const file = join(directory, name);
    await writeFile(file, text);
    return file;
  }

  it("reads, interpolates and validates a file", async () => {
    const file = await configFile(
      "valid.json",
      JSON.stringify({ server: { port: 0 }, providers: [{ type: "mock", name: "${MOCK_NAME}" }] }),
    );
    const config = await loadConfig(file, { MOCK_NAME: "local" });
    expect(config.server.port).toBe(0);
    expect(config.providers).toEqual([{ type: "mock", name: "local" }]);
  });

  it("names the file and the path of a schema problem", async () => {
    const file = await configFile(
      "wrong-type.json",
      JSON.stringify({ server: { port: "eighty" }, providers: [{ type: "mock" }] }),
    );
    const error = await rejectionOf(loadConfig(file, {}));
    expect(error.code).toBe("SWY_ERR_CONFIG_INVALID");
    expect(error.message.startsWith(`${file}: server.port: `)).toBe(true);
  });

  it("names the file of malformed JSON", async () => {
    const file = await configFile("malformed.json", '{ "providers": [ { "type": "mock" } ], }');
    const error = await rejectionOf(loadConfig(file, {}));
    expect(error.code).toBe("SWY_ERR_CONFIG_INVALID");
    expect(error.message).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not valid JSON at position \\d+\\.$`),
    );
  });

  it("does not quote the file's text (it may hold a secret) when the JSON is malformed", async () => {
    const file = await configFile(
      "secret.json",
      '{ "providers": [ { "type": "openai", "apiKey": sk-live-abcdef } ] }',
    );
    const error = await rejectionOf(loadConfig(file, {}));
    expect(error.message).not.toContain("sk-live");
  });

  it("names a missing file", async () => {
    const file = join(directory, "does-not-exist.json");
    const error = await rejectionOf(loadConfig(file, {}));
    expect(error.code).toBe("SWY_ERR_CONFIG_INVALID");
    expect(error.message).toBe(`${file}: cannot read config (no such file).`);
  });

  it("reports a directory as unreadable rather than crashing", async () => {
    const error = await rejectionOf(loadConfig(directory, {}));
    expect(error.message.startsWith(`${directory}: cannot read config (`)).toBe(true);
  });
});

describe("defaultConfig", () => {
  it("serves only the mock provider without OPENAI_API_KEY", () => {
    const config = defaultConfig({});
    expect(config.providers).toEqual([{ type: "mock" }]);
    expect(config.auth).toBeUndefined();
    expect(config.server.port).toBe(8787);
  });

  it("treats an empty OPENAI_API_KEY as unset", () => {
    expect(defaultConfig({ OPENAI_API_KEY: "" }).providers).toEqual([{ type: "mock" }]);
  });

  it("adds OpenAI with the key from the environment when OPENAI_API_KEY is set", () => {
    const config = defaultConfig({ OPENAI_API_KEY: "sk-test-default-config" });
    expect(config.providers).toEqual([
      { type: "mock" },
      { type: "openai", apiKey: "sk-test-default-config" },
    ]);
  });
});
