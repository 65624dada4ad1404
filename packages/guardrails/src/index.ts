export { mapRequestText, mapResponseText, type TextMap } from "./canonical-text.js";
export { createDenylistPlugin, type DenylistOptions, type DenylistPattern } from "./denylist-plugin.js";
export {
  type BuiltinDetectorName,
  builtinDetectors,
  type CustomDetectorOptions,
  customDetector,
  type Detector,
  holdFromPartial,
  literalsDetector,
  luhnValid,
} from "./detectors.js";
export {
  createExternalAuthPlugin,
  type ExternalAuthOptions,
  type ExternalAuthPlugin,
} from "./external-auth-plugin.js";
export { type GuardrailPhase, GuardrailStage } from "./guardrail-options.js";
export { GUARDRAIL_METRICS, type GuardrailOutcome } from "./guardrail-telemetry.js";
export { createPiiRedactionPlugin, type PiiRedactionOptions } from "./pii-redaction-plugin.js";
export { createRedactor, type Redactor, type Replacement, type StreamRedactor } from "./redactor.js";
export {
  createWebhookGuardrailPlugin,
  type WebhookGuardrailOptions,
  type WebhookGuardrailPlugin,
  type WebhookVerdict,
} from "./webhook-guardrail-plugin.js";
