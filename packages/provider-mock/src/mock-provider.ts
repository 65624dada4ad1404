import type { ModelInfo, Provider } from "@switchyard/core";
import { SwitchyardError } from "@switchyard/core";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { createMockUpstream, type MockUpstream } from "./mock-upstream.js";
import { type MockUpstreamOptions, resolveMockUpstreamOptions } from "./mock-upstream-options.js";

const KNOWN_OPTIONS = new Set([
  "name",
  "baseURL",
  "latencyMs",
  "firstByteDelayMs",
  "tokensPerSecond",
  "chunkTokens",
  "replyTokens",
  "reply",
  "models",
  "apiKey",
  "record",
  "faults",
]);

/** Options of `createMockProvider`: the mock upstream's options, plus where it runs. */
export interface MockProviderOptions extends Omit<MockUpstreamOptions, "host" | "port"> {
  /** Provider name in the gateway. @default "mock" */
  name?: string;
  /**
   * Use a mock upstream already running elsewhere (e.g. another process in a benchmark) instead of
   * starting one inside the gateway. Include `/v1`.
   */
  baseURL?: string;
}

/**
 * Fictional prices, so cost accounting has something to count in demos and tests. Not any real model's.
 */
const MOCK_PRICE = Object.freeze({ inputPerMillion: 1, outputPerMillion: 2, cachedInputPerMillion: 0.5 });

/**
 * The mock provider: a deterministic fake model behind the OpenAI wire format. By default it starts its own
 * mock upstream on 127.0.0.1 when the gateway starts (so the whole real path runs: transport, SSE, fast
 * path), and stops it when the gateway closes. The gateway's embedded default.
 */
export function createMockProvider(
  options: MockProviderOptions = {},
): Provider & { readonly upstream?: MockUpstream } {
  const unknown = Object.keys(options).filter((key) => !KNOWN_OPTIONS.has(key));
  if (unknown.length > 0) {
    throw new SwitchyardError(
      "SWY_ERR_CONFIG_INVALID",
      `mock provider options: unknown option '${unknown[0]}'.`,
    );
  }
  const { name = "mock", baseURL, ...upstreamOptions } = options;
  const modelIds = options.models ?? ["mock-1", "mock-1-mini"];
  try {
    // Checked now, not when the gateway starts, so a bad config fails at load (and in `switchyard check`).
    resolveMockUpstreamOptions({ ...upstreamOptions, models: modelIds });
  } catch (error) {
    throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", `mock provider options: ${(error as Error).message}`);
  }
  const models: readonly ModelInfo[] = Object.freeze(
    modelIds.map((id) => ({
      id,
      operations: ["chat", "completions", "embeddings"] as const,
      price: MOCK_PRICE,
    })),
  );
  const build = (url: string) =>
    createOpenAIProvider({
      name,
      baseURL: url,
      models: [...models],
      acceptsUnlistedModels: true,
      ...(upstreamOptions.apiKey ? { apiKey: upstreamOptions.apiKey } : {}),
    });
  let inner: Provider | undefined = baseURL ? build(baseURL) : undefined;
  let upstream: MockUpstream | undefined;
  const started = (): Provider => {
    if (!inner)
      throw new SwitchyardError("SWY_ERR_ROUTE_NO_ENDPOINT", `${name}: the mock upstream is not started.`);
    return inner;
  };
  return {
    name,
    dialect: "openai",
    acceptsUnlistedModels: true,
    get endpoints() {
      return inner?.endpoints ?? [];
    },
    get upstream() {
      return upstream;
    },
    models: () => models,
    buildRequest: (request, call) => started().buildRequest(request, call),
    parseResponse: (body, call) => started().parseResponse(body, call),
    parseError: (response, call) => started().parseError(response, call),
    createStreamTranslator: (call) => started().createStreamTranslator(call),
    async start() {
      if (inner) return;
      upstream = await createMockUpstream({ record: false, ...upstreamOptions, models: modelIds });
      inner = build(`${upstream.url}/v1`);
    },
    async close() {
      await upstream?.close();
    },
  };
}
