import {
  createApiKeyAuthPlugin,
  createCircuitBreakerPlugin,
  createGateway,
  createJsonLogger,
  createLoadBalancerPlugin,
  createRoutesPlugin,
  type Gateway,
  type Plugin,
  type Provider,
  SwitchyardError,
} from "@switchyard/core";
import { createAnthropicProvider } from "@switchyard/provider-anthropic";
import { createAzureOpenAIProvider } from "@switchyard/provider-azure-openai";
import { createGeminiProvider } from "@switchyard/provider-gemini";
import { createMockProvider } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import {
  createReplicateProvider,
  renderLlama3Prompt,
  renderTranscriptPrompt,
} from "@switchyard/provider-replicate";
import type { SwitchyardConfig } from "./config-schema.js";

type ProviderConfig = SwitchyardConfig["providers"][number];

const providerFactories: Record<ProviderConfig["type"], (options: Record<string, unknown>) => Provider> = {
  openai: (options) => createOpenAIProvider(options),
  mock: (options) => createMockProvider(options),
  anthropic: (options) => createAnthropicProvider(options as never),
  gemini: (options) => createGeminiProvider(options as never),
  "azure-openai": (options) => createAzureOpenAIProvider(options as never),
  replicate: ({ template, ...options }) =>
    createReplicateProvider({
      ...(options as object),
      ...(template === "llama3"
        ? { template: renderLlama3Prompt }
        : template
          ? { template: renderTranscriptPrompt }
          : {}),
    } as never),
};

/** Builds a gateway from a validated config. Provider option errors name the provider's place in the file. */
export function buildGateway(config: SwitchyardConfig): Gateway {
  const seen = new Map<string, number>();
  const providers = config.providers.map((entry, index) => {
    const { type, ...options } = entry;
    const name = entry.name ?? type;
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw new SwitchyardError(
        "SWY_ERR_CONFIG_INVALID",
        `providers[${index}]: name '${name}' is already used by providers[${earlier}]; give one a "name".`,
      );
    }
    seen.set(name, index);
    try {
      return providerFactories[type](options);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", `providers[${index}] (${type}): ${message}`);
    }
  });
  const plugins: Plugin[] = [];
  if (config.auth && config.auth.keys.length > 0)
    plugins.push(createApiKeyAuthPlugin({ keys: config.auth.keys }));
  if (config.routes) plugins.push(createRoutesPlugin({ routes: config.routes as never }));
  if (config.loadBalancing) plugins.push(createLoadBalancerPlugin(config.loadBalancing));
  // Breakers are on by default for config-served gateways: an endpoint that keeps failing is rested.
  if (config.circuitBreaker !== false) plugins.push(createCircuitBreakerPlugin(config.circuitBreaker ?? {}));
  return createGateway({
    providers,
    plugins,
    requireAuth: config.auth?.required ?? false,
    bodyLimitBytes: config.bodyLimitBytes,
    timeouts: config.timeouts,
    retry: config.retry,
    telemetry: {
      requestLog: config.telemetry?.requestLog ?? true,
      principalAttribute: config.telemetry?.principalAttribute ?? true,
    },
    logger: createJsonLogger(config.log.level),
  });
}
