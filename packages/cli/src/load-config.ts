import { readFile } from "node:fs/promises";
import { SwitchyardError } from "@switchyard/core";
import { configSchema, type SwitchyardConfig } from "./config-schema.js";
import { interpolateEnv } from "./interpolate-env.js";

/**
 * Reads, interpolates and validates a JSON config file. Every failure is a SWY_ERR_CONFIG_INVALID whose
 * message names the file, the path in it and the problem.
 */
export async function loadConfig(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SwitchyardConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error);
    throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", `${file}: cannot read config (${reason}).`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SwitchyardError(
      "SWY_ERR_CONFIG_INVALID",
      // Node's message quotes the text around the error, which may be a secret: keep only the position.
      `${file}: not valid JSON${/position \d+/.exec((error as Error).message)?.[0].replace(/^/, " at ") ?? ""}.`,
    );
  }
  return parseConfig(raw, env, file);
}

/** Validates an already parsed config object (see loadConfig). */
export function parseConfig(
  raw: unknown,
  env: NodeJS.ProcessEnv = process.env,
  source = "config",
): SwitchyardConfig {
  let interpolated: unknown;
  try {
    interpolated = interpolateEnv(raw, env);
  } catch (error) {
    throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", `${source}: ${(error as Error).message}`);
  }
  const result = configSchema.safeParse(interpolated);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path
      .map((segment, index) =>
        typeof segment === "number" ? `[${segment}]` : index === 0 ? String(segment) : `.${String(segment)}`,
      )
      .join("");
    return `${path || "(root)"}: ${issue.message}`;
  });
  throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", `${source}: ${problems.join("; ")}`);
}

/** The config used when no file is given: the mock provider, plus OpenAI when OPENAI_API_KEY is set. */
export function defaultConfig(env: NodeJS.ProcessEnv = process.env): SwitchyardConfig {
  const providers: unknown[] = [{ type: "mock" }];
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a config placeholder, interpolated below
  if (env.OPENAI_API_KEY) providers.push({ type: "openai", apiKey: "${OPENAI_API_KEY}" });
  return parseConfig({ providers }, env, "default config");
}
