export {
  type ConformanceReply,
  describeProviderConformance,
  type ProviderConformanceOptions,
} from "./provider-conformance.js";
export {
  createScriptedUpstream,
  type ScriptedUpstream,
  type WireAnswer,
  type WireRequest,
  type WireResponse,
  type WireStream,
} from "./scripted-upstream.js";
