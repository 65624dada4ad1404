export { AZURE_V1_API, azureRequestPath, DEFAULT_AZURE_API_VERSION } from "./azure-openai-api.js";
export { parseAzureOpenAIError } from "./azure-openai-error.js";
export { azureOpenAIModels } from "./azure-openai-prices.js";
export {
  type AzureOpenAIEndpointOptions,
  type AzureOpenAIModelOption,
  type AzureOpenAIProviderOptions,
  createAzureOpenAIProvider,
} from "./azure-openai-provider.js";
