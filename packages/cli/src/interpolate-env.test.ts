// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config files' ${VAR} placeholders.
import { SwitchyardError } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { interpolateEnv } from "./interpolate-env.js";

function thrownBy(run: () => unknown): SwitchyardError {
  try {
    run();
  } catch (error) {
    if (SwitchyardError.is(error)) return error;
    throw error;
  }
  throw new Error("expected a SwitchyardError, nothing was thrown");
}

describe("interpolateEnv", () => {
  it("replaces ${NAME} in nested strings and leaves everything else alone", () => {
    const config = {
      providers: [{ type: "openai", apiKey: "${OPENAI_KEY}", baseURL: "https://${HOST}/v1" }],
      server: { port: 8080, pathPrefix: "/llm" },
      enabled: true,
      nothing: null,
    };
    const result = interpolateEnv(config, { OPENAI_KEY: "sk-from-env", HOST: "llm.internal" });
    expect(result).toEqual({
      providers: [{ type: "openai", apiKey: "sk-from-env", baseURL: "https://llm.internal/v1" }],
      server: { port: 8080, pathPrefix: "/llm" },
      enabled: true,
      nothing: null,
    });
  });

  it("does not change the object it was given", () => {
    const config = { auth: { keys: [{ id: "a", key: "${KEY}" }] } };
    interpolateEnv(config, { KEY: "value-from-the-environment" });
    expect(config.auth.keys[0]?.key).toBe("${KEY}");
  });

  it("uses the default of ${NAME:-default} when the variable is unset or empty", () => {
    expect(interpolateEnv("${LEVEL:-info}", {})).toBe("info");
    expect(interpolateEnv("${LEVEL:-info}", { LEVEL: "" })).toBe("info");
    expect(interpolateEnv("${LEVEL:-}", {})).toBe("");
  });

  it("prefers the variable's value over the default", () => {
    expect(interpolateEnv("${LEVEL:-info}", { LEVEL: "debug" })).toBe("debug");
  });

  it("fails on a missing variable, naming the config path and the variable", () => {
    const config = { providers: [{ type: "mock" }, { type: "openai", apiKey: "${OPENAI_API_KEY}" }] };
    const error = thrownBy(() => interpolateEnv(config, {}));
    expect(error.code).toBe("SWY_ERR_CONFIG_INVALID");
    expect(error.message).toContain("providers[1].apiKey");
    expect(error.message).toContain("OPENAI_API_KEY");
  });

  it("names (root) when the whole value is a missing variable", () => {
    expect(thrownBy(() => interpolateEnv("${NOPE}", {})).message).toBe(
      "(root): environment variable NOPE is not set.",
    );
  });

  it("never puts the value of any variable in the error", () => {
    const secret = "sk-this-value-must-never-be-printed";
    const config = {
      auth: {
        keys: [
          { id: "a", key: "${PRESENT}" },
          { id: "b", key: "${ABSENT}" },
        ],
      },
    };
    const error = thrownBy(() => interpolateEnv(config, { PRESENT: secret }));
    expect(error.message).toContain("auth.keys[1].key");
    expect(error.message).toContain("ABSENT");
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(error.toBody())).not.toContain(secret);
  });
});
