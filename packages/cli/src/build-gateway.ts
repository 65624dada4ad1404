import { createCachePlugin, createEmbeddingsBatchingPlugin, createMemoryCacheStore } from "@switchyard/cache";
import { createRedisCacheStore } from "@switchyard/cache/redis";
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
import { createAnthropicDialect } from "@switchyard/dialect-anthropic";
import { createResponsesDialect } from "@switchyard/dialect-responses";
import {
  createDenylistPlugin,
  createExternalAuthPlugin,
  createPiiRedactionPlugin,
  createWebhookGuardrailPlugin,
} from "@switchyard/guardrails";
import {
  createRateLimitPlugin,
  createUpstreamCapPlugin,
  type LimiterStore,
  type RateLimitPluginOptions,
} from "@switchyard/limiter";
import { createRedisStore } from "@switchyard/limiter-redis";
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

/** A gateway built from a config, with what it holds beyond the gateway itself (a Redis connection). */
export interface ServedGateway {
  readonly gateway: Gateway;
  /** The rate limiter's store, when `rateLimit` is configured. */
  readonly limiterStore: LimiterStore | undefined;
  /** Releases what the gateway does not own: the limiter store's connection. Call after `gateway.close()`. */
  close(): Promise<void>;
}

const dialectFactories = {
  anthropic: () => createAnthropicDialect(),
  responses: () => createResponsesDialect(),
} as const;

/** Builds each guardrail plugin in order, naming the config path of a bad setting. */
function guardrailPlugins(guardrails: SwitchyardConfig["guardrails"]): Plugin[] {
  if (!guardrails) return [];
  const build = (path: string, create: () => Plugin): Plugin => {
    try {
      return create();
    } catch (error) {
      throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", `${path}: ${(error as Error).message}`);
    }
  };
  const plugins: Plugin[] = [];
  const { externalAuth, denylists, piiRedaction, webhooks } = guardrails;
  if (externalAuth) {
    plugins.push(build("guardrails.externalAuth", () => createExternalAuthPlugin(externalAuth as never)));
  }
  for (const [index, options] of (denylists ?? []).entries()) {
    plugins.push(
      build(`guardrails.denylists[${index}]`, () =>
        createDenylistPlugin({ name: String(index), ...options } as never),
      ),
    );
  }
  if (piiRedaction) {
    plugins.push(
      build("guardrails.piiRedaction", () =>
        createPiiRedactionPlugin((piiRedaction === true ? {} : piiRedaction) as never),
      ),
    );
  }
  for (const [index, options] of (webhooks ?? []).entries()) {
    plugins.push(
      build(`guardrails.webhooks[${index}]`, () =>
        createWebhookGuardrailPlugin({ name: String(index), ...options } as never),
      ),
    );
  }
  return plugins;
}

/** The cache and embeddings-batching plugins the config asks for. */
function cachePlugins(config: SwitchyardConfig): Plugin[] {
  const plugins: Plugin[] = [];
  if (config.cache) {
    const { store: storeConfig, ...options } = config.cache;
    const { type, ...storeOptions } = storeConfig ?? { type: "memory" as const };
    const store = configuredAs("cache.store", () =>
      type === "redis"
        ? createRedisCacheStore(storeOptions as never)
        : createMemoryCacheStore(storeOptions as never),
    );
    plugins.push(configuredAs("cache", () => createCachePlugin({ ...options, store } as never)));
  }
  if (config.embeddingsBatching) {
    const batching = config.embeddingsBatching;
    plugins.push(configuredAs("embeddingsBatching", () => createEmbeddingsBatchingPlugin(batching as never)));
  }
  return plugins;
}

function configuredAs<T>(path: string, create: () => T): T {
  try {
    return create();
  } catch (error) {
    throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", `${path}: ${(error as Error).message}`);
  }
}

/**
 * Builds a gateway from a validated config. Provider option errors name the provider's place in the file.
 * `leadingPlugins` (e.g. the virtual keys plugin, built asynchronously by `serve`) are applied first.
 */
export function buildGateway(config: SwitchyardConfig, leadingPlugins: readonly Plugin[] = []): Gateway {
  return buildServedGateway(config, leadingPlugins).gateway;
}

/** Builds a gateway, and returns it with the resources to release after it is closed (see ServedGateway). */
export function buildServedGateway(
  config: SwitchyardConfig,
  leadingPlugins: readonly Plugin[] = [],
): ServedGateway {
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
  const plugins: Plugin[] = [
    ...leadingPlugins,
    ...guardrailPlugins(config.guardrails),
    ...cachePlugins(config),
  ];
  if (config.auth && config.auth.keys.length > 0)
    plugins.push(createApiKeyAuthPlugin({ keys: config.auth.keys }));
  if (config.routes) plugins.push(createRoutesPlugin({ routes: config.routes as never }));
  if (config.loadBalancing) plugins.push(createLoadBalancerPlugin(config.loadBalancing));
  // Breakers are on by default for config-served gateways: an endpoint that keeps failing is rested.
  if (config.circuitBreaker !== false) plugins.push(createCircuitBreakerPlugin(config.circuitBreaker ?? {}));
  const upstreamCap = config.overload?.upstream;
  if (upstreamCap) plugins.push(configured("overload.upstream", () => createUpstreamCapPlugin(upstreamCap)));
  let limiterStore: LimiterStore | undefined;
  if (config.rateLimit) {
    const { store, ...options } = config.rateLimit;
    let redis: LimiterStore | undefined;
    if (store !== "memory") {
      const { type: _type, ...redisOptions } = store;
      redis = configured("rateLimit.store", () => createRedisStore(redisOptions));
    }
    try {
      const plugin = configured("rateLimit", () =>
        createRateLimitPlugin({ ...(options as unknown as RateLimitPluginOptions), store: redis }),
      );
      limiterStore = plugin.store;
      plugins.push(plugin);
    } catch (error) {
      // The Redis client is already connecting: do not leave it behind a config error.
      void redis?.close?.().catch(() => {});
      throw error;
    }
  }
  const { upstream: _upstream, ...overload } = config.overload ?? {};
  const gateway = createGateway({
    providers,
    plugins,
    dialects: config.dialects.map((name) => dialectFactories[name]()),
    // Virtual keys (and an external auth service) identify every caller: anonymous callers are refused.
    requireAuth:
      (config.auth?.required ?? false) ||
      config.keys !== undefined ||
      config.guardrails?.externalAuth !== undefined,
    bodyLimitBytes: config.bodyLimitBytes,
    overload,
    timeouts: config.timeouts,
    retry: config.retry,
    telemetry: {
      requestLog: config.telemetry?.requestLog ?? true,
      principalAttribute: config.telemetry?.principalAttribute ?? true,
    },
    logger: createJsonLogger(config.log.level),
  });
  const store = limiterStore;
  return {
    gateway,
    limiterStore: store,
    async close() {
      await store?.close?.();
    },
  };
}

/** Runs a plugin factory, naming the config key in its option errors. */
function configured<T>(key: string, create: () => T): T {
  try {
    return create();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // "rate limit options: limits.0.per: ..." -> "rateLimit: limits.0.per: ...": the path in the file.
    throw new SwitchyardError(
      "SWY_ERR_CONFIG_INVALID",
      `${key}: ${message.replace(/^[\w ]+ options: /, "")}`,
    );
  }
}
