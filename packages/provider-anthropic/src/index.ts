export {
  type AnthropicMessageResponse,
  type AnthropicMessagesRequest,
  type AnthropicStopReason,
  type AnthropicUsage,
  anthropicMessagesRequestSchema,
} from "./anthropic-api.js";
export { anthropicStreamError, parseAnthropicError } from "./anthropic-error.js";
export { anthropicModels } from "./anthropic-prices.js";
export {
  type AnthropicEndpointOptions,
  type AnthropicModelOption,
  type AnthropicProviderOptions,
  createAnthropicProvider,
} from "./anthropic-provider.js";
export {
  type AnthropicStreamTranslatorOptions,
  createAnthropicStreamTranslator,
} from "./anthropic-stream-translator.js";
export { convertAnthropicResponse } from "./convert-anthropic-response.js";
export { toOpenAIUsage } from "./convert-anthropic-usage.js";
export {
  type AnthropicRequestSettings,
  type ConvertedRequest,
  convertToAnthropicRequest,
} from "./convert-to-anthropic-request.js";
export { mapAnthropicFinishReason, type OpenAIFinishReason } from "./map-anthropic-finish-reason.js";
