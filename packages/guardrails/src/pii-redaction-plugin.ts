import type { Meter } from "@opentelemetry/api";
import {
  type CanonicalResponse,
  type ChatCompletionChunk,
  type Gateway,
  type Plugin,
  parseOptions,
  type RequestContext,
} from "@switchyard/core";
import { z } from "zod";
import { mapRequestText, mapResponseText } from "./canonical-text.js";
import {
  type BuiltinDetectorName,
  builtinDetectors,
  type CustomDetectorOptions,
  customDetector,
  type Detector,
} from "./detectors.js";
import {
  forwardCheckedRequestOnly,
  type GuardrailPhase,
  GuardrailStage,
  meterSchema,
  phasesSchema,
} from "./guardrail-options.js";
import { GuardrailTelemetry } from "./guardrail-telemetry.js";
import { createRedactor, type Replacement } from "./redactor.js";
import { createChunkTransform } from "./stream-text-filter.js";

const PLUGIN_NAME = "switchyard:pii-redaction";

/** Options of {@link createPiiRedactionPlugin}. */
export interface PiiRedactionOptions {
  /**
   * What to find: built-in detector names and detectors of your own (`{ name, pattern, flags?, maxLength? }`).
   * @default ["email", "phone", "card", "api-key"]
   */
  detectors?: ReadonlyArray<BuiltinDetectorName | CustomDetectorOptions>;
  /** Where: the request's texts before they leave for the provider, the answer before it reaches the client. @default ["request", "response"] */
  on?: readonly GuardrailPhase[];
  /**
   * What replaces a match: a template (`{type}` is the detector's name) or a function of the match and the
   * detector's name. @default "[REDACTED:{type}]"
   */
  replacement?: Replacement;
  /** Where the redaction counter goes. @default metrics.getMeter("@switchyard/guardrails") */
  meter?: Meter;
}

const customDetectorSchema = z
  .object({
    name: z.string().regex(/^[\w.-]{1,64}$/, "must be 1-64 letters, digits, '_', '.' or '-'"),
    pattern: z.union([z.instanceof(RegExp), z.string().min(1)]),
    flags: z
      .string()
      .regex(/^[dgimsuvy]*$/)
      .optional(),
    maxLength: z.number().int().positive().max(4096).optional(),
    validate: z.custom<(match: string) => boolean>((value) => typeof value === "function").optional(),
  })
  .strict()
  .superRefine((detector, issues) => {
    try {
      customDetector(detector);
    } catch (error) {
      issues.addIssue({ code: "custom", path: ["pattern"], message: (error as Error).message });
    }
  });

const optionsSchema = z
  .object({
    detectors: z
      .array(z.union([z.enum(["email", "phone", "card", "api-key"]), customDetectorSchema]))
      .min(1)
      .default(["email", "phone", "card", "api-key"]),
    on: phasesSchema.default(["request", "response"]),
    replacement: z
      .union([
        z.string(),
        z.custom<(match: string, type: string) => string>((value) => typeof value === "function"),
      ])
      .default("[REDACTED:{type}]"),
    meter: meterSchema,
  })
  .strict();

const STREAMS = Symbol("switchyard:pii-redaction:streams");

/**
 * Redacts personal data and secrets from message texts: e-mail addresses, phone numbers, payment card
 * numbers (Luhn-checked), API keys, and patterns of your own. On requests before they are sent to any
 * provider (once per request, so retries and fallbacks send the redacted text); on complete answers; and on
 * streamed answers chunk by chunk, holding back a short tail per choice so a match split across chunks is
 * still caught. Regular expressions, not a DLP product: see the guide for what it misses.
 *
 * Tapping `transformStreamChunk` takes streams off the gateway's byte-for-byte fast path: each chunk is
 * parsed and re-serialised.
 */
export function createPiiRedactionPlugin(options: PiiRedactionOptions = {}): Plugin {
  const settings = parseOptions(optionsSchema, options, "PII redaction");
  const telemetry = new GuardrailTelemetry(PLUGIN_NAME, settings.meter);
  const detectors: Detector[] = settings.detectors.map((entry) =>
    typeof entry === "string" ? builtinDetectors[entry] : customDetector(entry),
  );
  const replacement = settings.replacement;
  const counted: Replacement =
    typeof replacement === "function"
      ? (match, type) => {
          telemetry.decided("redacted", type);
          return replacement(match, type);
        }
      : (_match, type) => {
          telemetry.decided("redacted", type);
          return replacement.replaceAll("{type}", type);
        };
  const redactor = createRedactor(detectors, counted);
  const redact = (text: string) => redactor.redact(text);
  const chunkTransform = createChunkTransform(redactor, STREAMS);

  return {
    name: PLUGIN_NAME,
    apply(gateway: Gateway) {
      telemetry.attach(gateway.logger);
      if (settings.on.includes("request")) {
        gateway.hooks.respond.tap(
          { name: PLUGIN_NAME, stage: GuardrailStage.REQUEST },
          (context: RequestContext) => {
            context.request = mapRequestText(context.request, redact);
            return undefined;
          },
        );
        forwardCheckedRequestOnly(gateway, PLUGIN_NAME);
      }
      if (settings.on.includes("response")) {
        const stage = { name: PLUGIN_NAME, stage: GuardrailStage.RESPONSE };
        gateway.hooks.transformResponse.tap(stage, (response: CanonicalResponse) =>
          mapResponseText(response, redact),
        );
        gateway.hooks.transformStreamChunk.tap(stage, (chunk: ChatCompletionChunk, context: RequestContext) =>
          chunkTransform(chunk, context),
        );
      }
    },
  };
}
