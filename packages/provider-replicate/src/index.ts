export {
  convertToReplicateInput,
  type ReplicateChatTurn,
  type ReplicateInputSettings,
  type ReplicatePromptInput,
  type ReplicatePromptTemplate,
  renderLlama3Prompt,
  renderTranscriptPrompt,
} from "./convert-to-replicate-input.js";
export { mapReplicateFinishReason } from "./map-replicate-finish-reason.js";
export { type Prediction, REPLICATE_BASE_URL, syntheticEvents } from "./replicate-api.js";
export { parseReplicateError } from "./replicate-error.js";
export { replicateModels } from "./replicate-prices.js";
export {
  createReplicateProvider,
  parseModelId,
  type ReplicateEndpointOptions,
  type ReplicateModelOptions,
  type ReplicateProviderOptions,
} from "./replicate-provider.js";
export { createReplicateStreamTranslator } from "./replicate-stream-translator.js";
