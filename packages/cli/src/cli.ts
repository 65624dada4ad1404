import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createJsonLogger, SwitchyardError } from "@switchyard/core";
import { listen } from "@switchyard/http/node";
import { KEYS_HELP, runKeysCommand } from "@switchyard/keys";
import { startObservability } from "./admin-routes.js";
import { buildGateway } from "./build-gateway.js";
import type { SwitchyardConfig } from "./config-schema.js";
import { startKeys } from "./keys-wiring.js";
import { defaultConfig, loadConfig } from "./load-config.js";

const HELP = `switchyard — an OpenAI-compatible LLM gateway

Usage:
  switchyard serve [--config FILE] [--host HOST] [--port PORT]
      Serve a gateway. Without --config: the embedded mock provider, plus OpenAI
      when OPENAI_API_KEY is set.
  switchyard check --config FILE
      Validate a config file and print what it would serve.
  switchyard keys create|list|revoke --store file:./keys.json|redis://...
      Manage virtual keys (see below).
  switchyard --version | --help

Config reference: docs/reference/configuration.md

${KEYS_HELP}`;

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
};

/** Runs the CLI; resolves with the exit code for one-shot commands, or never for `serve` (signals end it). */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  // `keys` has flags of its own (`--store`): hand it its arguments before the strict parser sees them.
  if (argv[0] === "keys") return runKeysCommand(argv.slice(1), io);
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    io.err(`switchyard: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.out(`${version()}\n`);
    return 0;
  }
  const command = positionals[0];
  if (values.help || command === undefined || command === "help") {
    io.out(HELP);
    return command === undefined && !values.help ? 2 : 0;
  }
  try {
    if (command === "check") {
      if (!values.config) throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", "check needs --config FILE.");
      const config = await loadConfig(values.config, io.env);
      const gateway = buildGateway(config);
      io.out(`${values.config}: ok — providers: ${[...gateway.providers.keys()].join(", ")}\n`);
      return 0;
    }
    if (command === "serve") return await serve(values, io);
    io.err(`switchyard: unknown command '${command}'\n\n${HELP}`);
    return 2;
  } catch (error) {
    const message = SwitchyardError.is(error) ? `${error.message}` : String(error);
    io.err(`switchyard: ${message}\n`);
    return 1;
  }
}

function parseCommandLine(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      host: { type: "string" },
      port: { type: "string", short: "p" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
}

async function serve(values: { config?: string; host?: string; port?: string }, io: CliIo): Promise<number> {
  const config: SwitchyardConfig = values.config
    ? await loadConfig(values.config, io.env)
    : defaultConfig(io.env);
  const port = values.port === undefined ? config.server.port : Number(values.port);
  if ((values.port !== undefined && !/^\d+$/.test(values.port)) || port < 0 || port > 65535) {
    throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", `--port must be 0-65535, not '${values.port}'.`);
  }
  const keys = await startKeys(config, values.config, createJsonLogger(config.log.level));
  const gateway = buildGateway(config, keys ? [keys.plugin] : []);
  const observability = await startObservability(config, gateway);
  const server = await listen(gateway, { ...config.server, host: values.host ?? config.server.host, port });
  observability?.mount(server.server);
  keys?.mount(server.server);
  const models = [...gateway.providers.values()].flatMap((provider) =>
    provider.models().map((model) => model.id),
  );
  io.out(
    `Switchyard listening on ${server.url}${config.server.pathPrefix}\n` +
      `  providers: ${[...gateway.providers.keys()].join(", ")}\n` +
      `  models: ${models.slice(0, 12).join(", ")}${models.length > 12 ? ", ..." : ""}\n` +
      (observability?.paths.length
        ? `  admin: ${observability.paths.join(", ")} (${observability.access})\n`
        : "") +
      (observability?.prometheusUrl ? `  prometheus: ${observability.prometheusUrl}\n` : ""),
  );
  return await new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      io.err(`switchyard: ${signal}: draining (up to ${config.server.graceMs} ms)\n`);
      server
        .close()
        .then(() => observability?.close())
        .then(() => keys?.close())
        .then(
          () => resolve(0),
          (error: unknown) => {
            io.err(`switchyard: shutdown failed: ${String(error)}\n`);
            resolve(1);
          },
        );
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return manifest.version;
}
