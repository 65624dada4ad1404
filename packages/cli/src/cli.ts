import cluster from "node:cluster";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createJsonLogger, SwitchyardError } from "@switchyard/core";
import { listen, type TlsCredentials } from "@switchyard/http/node";
import { KEYS_HELP, runKeysCommand } from "@switchyard/keys";
import { startObservability } from "./admin-routes.js";
import { buildServedGateway } from "./build-gateway.js";
import type { SwitchyardConfig } from "./config-schema.js";
import { startKeys } from "./keys-wiring.js";
import { defaultConfig, loadConfig } from "./load-config.js";
import { recordServerMetrics } from "./server-metrics.js";
import { readTlsFiles, resolveTlsFiles, type TlsFiles } from "./tls-files.js";
import {
  announceReady,
  assertWorkersAllowed,
  configForSlot,
  onPrimaryCommand,
  perWorkerProblems,
  resolveWorkerCount,
  runPrimary,
  workerSlot,
} from "./workers.js";

const HELP = `switchyard — an OpenAI-compatible LLM gateway

Usage:
  switchyard serve [--config FILE] [--host HOST] [--port PORT]
                   [--workers N|auto] [--allow-per-worker-limits]
                   [--tls-cert FILE --tls-key FILE]
      Serve a gateway. Without --config: the embedded mock provider, plus OpenAI
      when OPENAI_API_KEY is set. --workers: N processes on one port. --tls-*:
      HTTPS; SIGHUP re-reads the files.
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
      const { gateway, close } = buildServedGateway(config);
      await close();
      io.out(`${values.config}: ok — providers: ${[...gateway.providers.keys()].join(", ")}\n`);
      return 0;
    }
    if (command === "serve") return await serve(values, io, argv);
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
      workers: { type: "string", short: "w" },
      "allow-per-worker-limits": { type: "boolean" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
}

/** The flags `serve` reads. */
interface ServeFlags {
  config?: string;
  host?: string;
  port?: string;
  workers?: string;
  "allow-per-worker-limits"?: boolean;
  "tls-cert"?: string;
  "tls-key"?: string;
}

async function serve(values: ServeFlags, io: CliIo, argv: readonly string[]): Promise<number> {
  const config: SwitchyardConfig = values.config
    ? await loadConfig(values.config, io.env)
    : defaultConfig(io.env);
  const port = values.port === undefined ? config.server.port : Number(values.port);
  if ((values.port !== undefined && !/^\d+$/.test(values.port)) || port < 0 || port > 65535) {
    throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", `--port must be 0-65535, not '${values.port}'.`);
  }
  const tlsFiles = resolveTlsFiles(config, values.config, {
    tlsCert: values["tls-cert"],
    tlsKey: values["tls-key"],
  });
  const workers = resolveWorkerCount(values.workers, config.server.workers);
  assertWorkersAllowed(
    config,
    workers,
    values["allow-per-worker-limits"] === true || config.server.allowPerWorkerLimits,
  );
  // Read before forking too: a missing or broken certificate fails once, with its file name.
  const tls = tlsFiles ? await readTlsFiles(tlsFiles) : undefined;
  if (workers > 1 && cluster.isPrimary) {
    // Built once and dropped, so a config the workers would refuse fails here, before any fork.
    await buildServedGateway(config).close();
    for (const note of perWorkerProblems(config).notes) io.err(`switchyard: ${workers} workers: ${note}\n`);
    return runPrimary({
      count: workers,
      argv,
      graceMs: config.server.graceMs,
      exec: fileURLToPath(new URL("./bin.js", import.meta.url)),
      out: io.out,
      err: io.err,
    });
  }
  const slot = workerSlot();
  const keys = await startKeys(config, values.config, createJsonLogger(config.log.level));
  const served = buildServedGateway(config, keys ? [keys.plugin] : []);
  const gateway = served.gateway;
  const observability = await startObservability(configForSlot(config, slot), gateway);
  const server = await listen(gateway, {
    ...config.server,
    host: values.host ?? config.server.host,
    port,
    tls: tls ? { cert: tls.cert, key: tls.key } : undefined,
  });
  observability?.mount(server.server);
  keys?.mount(server.server);
  if (slot !== undefined) {
    // Which worker answered: for operators chasing one process, and for the restart test.
    server.server.prependListener("request", (_request, response) => {
      response.setHeader("x-switchyard-worker", String(process.pid));
    });
  }
  recordServerMetrics(server.server, gateway, {
    maxInFlight: config.overload?.maxInFlight ?? 0,
    maxQueue: config.overload?.maxQueue ?? 0,
    maxConnections: config.server.maxConnections,
  });
  const models = [...gateway.providers.values()].flatMap((provider) =>
    provider.models().map((model) => model.id),
  );
  const banner =
    `Switchyard listening on ${server.url}${config.server.pathPrefix}\n` +
    `  providers: ${[...gateway.providers.keys()].join(", ")}\n` +
    `  models: ${models.slice(0, 12).join(", ")}${models.length > 12 ? ", ..." : ""}\n` +
    (observability?.paths.length
      ? `  admin: ${observability.paths.join(", ")} (${observability.access})\n`
      : "") +
    (observability?.prometheusUrl ? `  prometheus: ${observability.prometheusUrl}\n` : "") +
    (tls ? `  tls: certificate ${tls.fingerprint256}, valid to ${tls.validTo}\n` : "");
  // A worker tells the primary, which prints one banner for all of them.
  if (slot !== undefined) announceReady(banner);
  else io.out(banner);
  return await new Promise<number>((resolve) => {
    const reloadTls = () => {
      if (!tlsFiles) return;
      void reloadCertificate(tlsFiles, (credentials) => server.updateTls(credentials), io);
    };
    // In a worker, the primary decides when to drain: Ctrl-C reaches every process of the group at once.
    const ignore = () => {};
    // SIGHUP reloads TLS. A single process without TLS keeps its default meaning (the terminal went away:
    // stop); a worker never stops on it, the primary does not either.
    const handlesHangup = tlsFiles !== undefined || slot !== undefined;
    const stopListening = onPrimaryCommand({ drain: () => stop("SIGTERM"), reloadTls });
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", slot === undefined ? stop : ignore);
      if (handlesHangup) process.off("SIGHUP", reloadTls);
      stopListening();
      io.err(`switchyard: ${signal}: draining (up to ${config.server.graceMs} ms)\n`);
      server
        .close()
        .then(() => observability?.close())
        .then(() => keys?.close())
        .then(() => served.close())
        .then(
          () => resolve(0),
          (error: unknown) => {
            io.err(`switchyard: shutdown failed: ${String(error)}\n`);
            resolve(1);
          },
        );
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", slot === undefined ? stop : ignore);
    if (handlesHangup) process.on("SIGHUP", reloadTls);
  });
}

/**
 * SIGHUP: re-reads the certificate and key and swaps them in for new connections; open ones go on. A
 * broken pair is logged and the current certificate stays.
 */
async function reloadCertificate(
  files: TlsFiles,
  update: (credentials: TlsCredentials) => void,
  io: CliIo,
): Promise<void> {
  try {
    const loaded = await readTlsFiles(files);
    update({ cert: loaded.cert, key: loaded.key });
    io.err(
      `switchyard: SIGHUP: TLS certificate reloaded from ${files.cert} (${loaded.fingerprint256}, valid to ${loaded.validTo})\n`,
    );
  } catch (error) {
    const message = SwitchyardError.is(error) ? error.message : String(error);
    io.err(`switchyard: SIGHUP: TLS reload failed, keeping the current certificate: ${message}\n`);
  }
}

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return manifest.version;
}
