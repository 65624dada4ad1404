import type { Meter } from "@opentelemetry/api";
import {
  type CanonicalResponse,
  type ChatCompletionChunk,
  type Gateway,
  type Plugin,
  parseOptions,
  type RequestContext,
  SwitchyardError,
} from "@switchyard/core";
import { z } from "zod";
import { mapRequestText, mapResponseText } from "./canonical-text.js";
import { customDetector, type Detector, literalsDetector } from "./detectors.js";
import {
  forwardCheckedRequestOnly,
  type GuardrailPhase,
  GuardrailStage,
  meterSchema,
  phasesSchema,
} from "./guardrail-options.js";
import { GuardrailTelemetry } from "./guardrail-telemetry.js";
import { createRedactor, type Redactor } from "./redactor.js";
import { createChunkTransform } from "./stream-text-filter.js";

const PLUGIN_NAME = "switchyard:denylist";

/** One denylist entry: a literal (case-insensitive substring), a RegExp, or a RegExp's source (config files). */
export type DenylistPattern = string | RegExp | { readonly regex: string; readonly flags?: string };

/** Options of {@link createDenylistPlugin}. */
export interface DenylistOptions {
  /** What may not pass. Strings match case-insensitively anywhere in a text; use a RegExp for word boundaries. */
  patterns: readonly DenylistPattern[];
  /** Where to look. @default ["request", "response"] */
  on?: readonly GuardrailPhase[];
  /**
   * `"reject"`: refuse with 400 `SWY_ERR_POLICY_DENIED` (mid-stream: end the stream with that error
   * event); `"redact"`: replace each match with `replacement`. @default "reject"
   */
  action?: "reject" | "redact";
  /** What replaces a match with `action: "redact"`. @default "[REDACTED]" */
  replacement?: string;
  /**
   * The longest text a RegExp entry can match. Streams hold back this many characters (plus 8) of every
   * answer so a match split across chunks is still found. Literal strings need no such bound. @default 64
   */
  maxMatchLength?: number;
  /** The message a refused client sees; the matched text is never echoed. @default a fixed text per side */
  message?: string;
  /** Tells several denylists apart: the plugin is named `switchyard:denylist:<name>`. @default undefined */
  name?: string;
  /** Where the decision counter goes. @default metrics.getMeter("@switchyard/guardrails") */
  meter?: Meter;
}

const patternSchema = z.union([
  z.string().min(1),
  z.instanceof(RegExp),
  z
    .object({
      regex: z.string().min(1),
      flags: z
        .string()
        .regex(/^[dgimsuvy]*$/)
        .optional(),
    })
    .strict(),
]);

const optionsSchema = z
  .object({
    patterns: z.array(patternSchema).min(1),
    on: phasesSchema.default(["request", "response"]),
    action: z.enum(["reject", "redact"]).default("reject"),
    replacement: z.string().default("[REDACTED]"),
    maxMatchLength: z.number().int().positive().max(4096).default(64),
    message: z.string().min(1).max(300).optional(),
    name: z
      .string()
      .regex(/^[\w.-]{1,64}$/)
      .optional(),
    meter: meterSchema,
  })
  .strict()
  .superRefine((options, issues) => {
    options.patterns.forEach((pattern, index) => {
      if (typeof pattern !== "object" || pattern instanceof RegExp) return;
      try {
        new RegExp(pattern.regex, pattern.flags);
      } catch (error) {
        issues.addIssue({
          code: "custom",
          path: ["patterns", index, "regex"],
          message: (error as Error).message,
        });
      }
    });
  });

/**
 * Refuses (or redacts) texts that match a list of strings and regular expressions, on requests (once per
 * request, before routing) and on answers, streamed ones included (a match split across chunks is still
 * caught; with `reject`, the stream ends with an error event before the matching text is sent).
 */
export function createDenylistPlugin(options: DenylistOptions): Plugin {
  const settings = parseOptions(optionsSchema, options, "denylist");
  const name = settings.name ? `${PLUGIN_NAME}:${settings.name}` : PLUGIN_NAME;
  const telemetry = new GuardrailTelemetry(name, settings.meter);
  const detectors: Detector[] = [];
  const literals = settings.patterns.filter((pattern): pattern is string => typeof pattern === "string");
  if (literals.length > 0) detectors.push(literalsDetector("denylist", literals));
  for (const pattern of settings.patterns) {
    if (typeof pattern === "string") continue;
    const regex = pattern instanceof RegExp ? pattern : new RegExp(pattern.regex, pattern.flags ?? "");
    detectors.push(customDetector({ name: "denylist", pattern: regex, maxLength: settings.maxMatchLength }));
  }

  const redactorFor = (phase: GuardrailPhase): Redactor =>
    createRedactor(
      detectors,
      settings.action === "redact"
        ? (_match, type) => {
            telemetry.decided("redacted", type);
            return settings.replacement;
          }
        : () => {
            telemetry.decided("denied");
            throw new SwitchyardError(
              "SWY_ERR_POLICY_DENIED",
              settings.message ??
                (phase === "request"
                  ? "The request was refused by the gateway's content policy."
                  : "The answer was withheld by the gateway's content policy."),
            );
          },
    );
  const requestRedactor = redactorFor("request");
  const responseRedactor = redactorFor("response");
  const redactRequest = (text: string) => requestRedactor.redact(text);
  const redactResponse = (text: string) => responseRedactor.redact(text);
  const chunkTransform = createChunkTransform(responseRedactor, Symbol(`${name}:streams`));

  return {
    name,
    apply(gateway: Gateway) {
      telemetry.attach(gateway.logger);
      if (settings.on.includes("request")) {
        gateway.hooks.respond.tap({ name, stage: GuardrailStage.REQUEST }, (context: RequestContext) => {
          context.request = mapRequestText(context.request, redactRequest);
          return undefined;
        });
        forwardCheckedRequestOnly(gateway, name);
      }
      if (settings.on.includes("response")) {
        const stage = { name, stage: GuardrailStage.RESPONSE };
        gateway.hooks.transformResponse.tap(stage, (response: CanonicalResponse) =>
          mapResponseText(response, redactResponse),
        );
        gateway.hooks.transformStreamChunk.tap(stage, (chunk: ChatCompletionChunk, context: RequestContext) =>
          chunkTransform(chunk, context),
        );
      }
    },
  };
}
