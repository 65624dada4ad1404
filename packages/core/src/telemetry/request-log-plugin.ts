import { z } from "zod";
import type { RequestContext } from "../context.js";
import type { SwitchyardError } from "../errors.js";
import type { Gateway } from "../gateway.js";
import { parseOptions } from "../options.js";
import type { Plugin } from "../plugin.js";
import { redactSecrets } from "./redact.js";

const PLUGIN_NAME = "switchyard:request-log";
const MAX_MODEL_LENGTH = 128;

/** Options of the request log. */
export interface RequestLogOptions {
  /**
   * Level of the line for requests that did not fail on the gateway's or provider's side; failures with a
   * 5xx status are logged at "warn" unless this is "debug" (then everything is "debug"). @default "info"
   */
  level?: "debug" | "info";
}

/** Options of the request log, validated. */
export const requestLogOptionsSchema = z
  .object({ level: z.enum(["debug", "info"]).default("info") })
  .strict();

/**
 * One line a request log writes, as a structured object (message `"request"`). Only facts the gateway
 * chose: never headers, keys, prompts or answers; error messages pass through `redactSecrets`.
 */
export interface RequestLogLine {
  readonly requestId: string;
  readonly operation: string;
  /** The model the client asked for (first 128 characters). */
  readonly model: string;
  readonly stream: boolean;
  /** The provider and model of the last attempt, when one was made. */
  readonly provider?: string;
  readonly providerModel?: string;
  /** The HTTP status the client got (200 for a stream that failed after its first event). */
  readonly status: number;
  readonly durationMs: number;
  /** Time to the first streamed event, for streams. */
  readonly ttftMs?: number;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  /** USD, when the model has a price. */
  readonly cost?: number;
  readonly principal?: string;
  /** Upstream attempts made. */
  readonly attempts: number;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

/** Builds the request log line of a finished request. */
export function requestLogLine(context: RequestContext, error: SwitchyardError | undefined): RequestLogLine {
  const last = context.attempts.at(-1);
  const line: { -readonly [Key in keyof RequestLogLine]: RequestLogLine[Key] } = {
    requestId: context.id,
    operation: context.operation,
    model: context.model.length > MAX_MODEL_LENGTH ? context.model.slice(0, MAX_MODEL_LENGTH) : context.model,
    stream: context.stream,
    status: !error ? 200 : context.stream && context.timings.firstByteMs !== undefined ? 200 : error.status,
    durationMs: round(context.timings.endMs ?? performance.now() - context.startedAt),
    attempts: context.attempts.length,
  };
  if (last) {
    line.provider = last.target.provider.name;
    line.providerModel = last.target.model;
  }
  if (context.stream && context.timings.firstByteMs !== undefined)
    line.ttftMs = round(context.timings.firstByteMs);
  if (context.usage) {
    line.inputTokens = context.usage.prompt_tokens;
    if (context.operation !== "embeddings") line.outputTokens = context.usage.completion_tokens ?? 0;
  }
  if (context.cost !== undefined) line.cost = context.cost;
  if (context.principal) line.principal = context.principal.id;
  if (error) {
    line.errorCode = error.code;
    line.errorMessage = redactSecrets(error.message);
  }
  return line;
}

/** Installs the request log on a gateway (used by the telemetry plugin and createRequestLogPlugin). */
export function installRequestLog(gateway: Gateway, options: RequestLogOptions): void {
  const { level } = parseOptions(requestLogOptionsSchema, options, "request log");
  const logger = gateway.logger;
  gateway.events.on("request:end", (context, error) => {
    try {
      const line = requestLogLine(context, error);
      const fields = line as unknown as Record<string, unknown>;
      if (level === "debug") logger.debug(fields, "request");
      else if (line.status >= 500) logger.warn(fields, "request");
      else logger.info(fields, "request");
    } catch (failure) {
      logger.error({ err: failure }, "request log failed");
    }
  });
}

/**
 * One structured line per request through `gateway.logger` (pino-compatible): id, operation, model,
 * provider, status, duration, time to first token, tokens, cost, principal id, attempts, error code. The
 * telemetry plugin installs it by default; use this one with `telemetry: false`.
 */
export function createRequestLogPlugin(options: RequestLogOptions = {}): Plugin {
  parseOptions(requestLogOptionsSchema, options, "request log");
  return {
    name: PLUGIN_NAME,
    apply(gateway: Gateway) {
      installRequestLog(gateway, options);
    },
  };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
