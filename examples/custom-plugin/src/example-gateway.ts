import {
  type ApiKeyEntry,
  createApiKeyAuthPlugin,
  createGateway,
  type Gateway,
  type Logger,
  type Plugin,
} from "@switchyard/core";
import { createMockProvider, type MockProviderOptions } from "@switchyard/provider-mock";
import { createHouseRulesPlugin, type HouseRulesOptions } from "./house-rules-plugin.js";
import { createUsageLedger, type UsageLedger } from "./usage-ledger.js";

/** Options of {@link createExampleGateway}. */
export interface ExampleGatewayOptions {
  /** @default "You are a concise assistant. Answer in plain text." */
  readonly systemPrompt?: string;
  /** @default 256 */
  readonly maxTokens?: number;
  /** API keys; each key's `id` is the principal its usage is recorded under. @default [] (all anonymous) */
  readonly keys?: readonly ApiKeyEntry[];
  /** Options of the embedded mock provider. @default {} */
  readonly mock?: MockProviderOptions;
  /** @default a JSON-lines logger on stderr */
  readonly logger?: Logger;
}

/** The example's gateway and the pieces a caller may want to look at. */
export interface ExampleGateway {
  readonly gateway: Gateway;
  readonly ledger: UsageLedger;
  /** The mock provider; its `upstream` exists once the gateway has started. */
  readonly mock: ReturnType<typeof createMockProvider>;
}

/**
 * Builds the example: the embedded mock provider, optional API-key auth (so usage has principals), and the
 * house-rules plugin. Not started: pass `gateway` to `listen` (or call `gateway.start()`).
 */
export function createExampleGateway(options: ExampleGatewayOptions = {}): ExampleGateway {
  const ledger = createUsageLedger();
  const mock = createMockProvider(options.mock);
  const rules: HouseRulesOptions = {
    systemPrompt: options.systemPrompt ?? "You are a concise assistant. Answer in plain text.",
    maxTokens: options.maxTokens ?? 256,
    ledger,
  };
  const plugins: Plugin[] = [];
  if (options.keys && options.keys.length > 0) plugins.push(createApiKeyAuthPlugin({ keys: options.keys }));
  plugins.push(createHouseRulesPlugin(rules));
  const gateway = createGateway({ providers: [mock], plugins, logger: options.logger });
  return { gateway, ledger, mock };
}
