export { convertJsonSchemaToGemini } from "./convert-json-schema-to-gemini.js";
export type {
  GeminiContent,
  GeminiGenerateContentRequest,
  GeminiPart,
  GeminiSafetySetting,
} from "./gemini-api.js";
export { parseGeminiError } from "./gemini-error.js";
export { geminiModels } from "./gemini-prices.js";
export {
  createGeminiProvider,
  type GeminiEndpointOptions,
  type GeminiModelOption,
  type GeminiProviderOptions,
} from "./gemini-provider.js";
export { createGeminiStreamTranslator, type GeminiStreamOptions } from "./gemini-stream-translator.js";
