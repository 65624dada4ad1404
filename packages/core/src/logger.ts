/**
 * The logging interface the gateway writes to: the subset of pino's API it uses, so a pino logger can be
 * passed as is. Objects first, message second.
 */
export interface Logger {
  debug(object: Record<string, unknown>, message?: string): void;
  info(object: Record<string, unknown>, message?: string): void;
  warn(object: Record<string, unknown>, message?: string): void;
  error(object: Record<string, unknown>, message?: string): void;
}

/** Log levels in order of severity. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const severity: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** A logger that writes one JSON line per entry to stderr, at `level` and above. @default level "info" */
export function createJsonLogger(level: LogLevel = "info"): Logger {
  const threshold = severity[level];
  const write =
    (entryLevel: Exclude<LogLevel, "silent">) => (object: Record<string, unknown>, message?: string) => {
      if (severity[entryLevel] < threshold) return;
      process.stderr.write(
        `${JSON.stringify({ level: entryLevel, time: new Date().toISOString(), ...object, ...(message ? { msg: message } : {}) }, errorReplacer)}\n`,
      );
    };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

/** A logger that drops everything. */
export const silentLogger: Logger = Object.freeze({ debug() {}, info() {}, warn() {}, error() {} });

// Errors serialise to nothing by default; keep what helps an operator.
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: value.message,
      ...(code === undefined ? {} : { code }),
      stack: value.stack,
    };
  }
  return value;
}
