export { parseOpenAIError } from "./openai-error.js";
export { openaiModels } from "./openai-prices.js";
export {
  createOpenAIProvider,
  type OpenAIEndpointOptions,
  type OpenAIModelOption,
  type OpenAIProviderOptions,
} from "./openai-provider.js";
export { createOpenAIStreamTranslator } from "./openai-stream-translator.js";
