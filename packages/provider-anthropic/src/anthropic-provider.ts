import {
  type CanonicalRequest,
  type CanonicalResponse,
  type ChatCompletionRequest,
  type Endpoint,
  type ModelInfo,
  type ModelPrice,
  type Operation,
  type Provider,
  type ProviderCall,
  parseOptions,
  type StreamTranslator,
  SwitchyardError,
  type UpstreamErrorResponse,
  type UpstreamRequest,
} from "@switchyard/core";
import { z } from "zod";
import { parseAnthropicError } from "./anthropic-error.js";
import { anthropicModels } from "./anthropic-prices.js";
import { createAnthropicStreamTranslator } from "./anthropic-stream-translator.js";
import { convertAnthropicResponse } from "./convert-anthropic-response.js";
import { convertToAnthropicRequest } from "./convert-to-anthropic-request.js";

/** One place the provider's requests may go (a key, a workspace, a proxy). */
export interface AnthropicEndpointOptions {
  /** Base URL without the `/v1` (as in the Anthropic SDKs' `ANTHROPIC_BASE_URL`). @default "https://api.anthropic.com" */
  baseURL?: string;
  /** Sent as `x-api-key`. Omit only for a proxy that adds credentials itself. */
  apiKey?: string;
  /** Extra headers for this endpoint, e.g. `anthropic-beta`. */
  headers?: Record<string, string>;
  /** Share of traffic for weighted balancing. @default 1 */
  weight?: number;
}

/** A model entry: an id, or an id with operations and price. */
export type AnthropicModelOption = string | ModelInfo;

/** Options of `createAnthropicProvider`. */
export interface AnthropicProviderOptions extends AnthropicEndpointOptions {
  /** Provider name in the gateway (`name/model` addresses it). @default "anthropic" */
  name?: string;
  /** The `anthropic-version` header: the API version the wire format follows. @default "2023-06-01" */
  anthropicVersion?: string;
  /**
   * Models this provider serves, added to (or overriding entries of) the built-in Claude price table.
   * @default the Claude price table
   */
  models?: AnthropicModelOption[];
  /** Several endpoints instead of the single `baseURL`/`apiKey`. */
  endpoints?: AnthropicEndpointOptions[];
  /** Let `name/any-model` through even when not listed. @default true */
  acceptsUnlistedModels?: boolean;
  /**
   * `max_tokens` to send when the client gives none (Anthropic requires it; OpenAI does not): one number for
   * every model, or a number per model id (models not listed get 4096). Kept modest on purpose: Anthropic
   * counts `max_tokens` against the output-tokens-per-minute limit when a request starts.
   * @default 4096
   */
  defaultMaxTokens?: number | Record<string, number>;
}

const ANTHROPIC_BASE_URL = "https://api.anthropic.com";
const DEFAULT_MAX_TOKENS = 4096;

const endpointSchema = z
  .object({
    baseURL: z.url({ protocol: /^https?$/ }).optional(),
    apiKey: z.string().min(1).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    weight: z.number().positive().optional(),
  })
  .strict();

const maxTokens = z.number().int().positive();

const optionsSchema = endpointSchema.extend({
  name: z
    .string()
    .regex(/^[\w.-]+$/)
    .default("anthropic"),
  anthropicVersion: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .default("2023-06-01"),
  models: z
    .array(
      z.union([
        z.string().min(1),
        z.object({
          id: z.string().min(1),
          operations: z.array(z.literal("chat")).optional(),
          price: z
            .object({
              inputPerMillion: z.number().nonnegative(),
              outputPerMillion: z.number().nonnegative(),
              cachedInputPerMillion: z.number().nonnegative().optional(),
            })
            .optional(),
        }),
      ]),
    )
    .optional(),
  endpoints: z.array(endpointSchema).min(1).optional(),
  acceptsUnlistedModels: z.boolean().default(true),
  defaultMaxTokens: z.union([maxTokens, z.record(z.string(), maxTokens)]).default(DEFAULT_MAX_TOKENS),
});

/**
 * The provider for Anthropic's Messages API (`POST /v1/messages`): OpenAI chat requests are translated to
 * Anthropic's format and the answers (complete or streamed) back to OpenAI's. See the package README for
 * what maps how.
 */
export function createAnthropicProvider(options: AnthropicProviderOptions = {}): Provider {
  const settings = parseOptions(optionsSchema, options, "anthropic provider");
  const name = settings.name;
  const endpoints = (settings.endpoints ?? [settings]).map((endpoint, index) =>
    toEndpoint(`${name}#${index}`, { ...endpoint, baseURL: endpoint.baseURL ?? settings.baseURL }, settings),
  );
  const models = mergeModels(anthropicModels, settings.models ?? []);
  // The tool standing in for `response_format`, per request: set by buildRequest, read when the answer comes.
  const responseTools = new WeakMap<object, string>();
  const defaultMaxTokens = (model: string) =>
    typeof settings.defaultMaxTokens === "number"
      ? settings.defaultMaxTokens
      : (settings.defaultMaxTokens[model] ?? DEFAULT_MAX_TOKENS);

  return {
    name,
    dialect: "anthropic",
    endpoints,
    acceptsUnlistedModels: settings.acceptsUnlistedModels,
    models: () => models,
    buildRequest(request: CanonicalRequest, call: ProviderCall): UpstreamRequest {
      if (call.operation !== "chat") {
        throw new SwitchyardError(
          "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED",
          `${name}: the Anthropic Messages API serves chat only, not ${call.operation}.`,
        );
      }
      const { body, responseTool } = convertToAnthropicRequest(request as ChatCompletionRequest, {
        model: call.model,
        defaultMaxTokens: defaultMaxTokens(call.model),
      });
      if (responseTool === undefined) responseTools.delete(call.context);
      else responseTools.set(call.context, responseTool);
      return { method: "POST", path: "/v1/messages", headers: {}, body: JSON.stringify(body) };
    },
    parseResponse: (body: unknown, call: ProviderCall): CanonicalResponse =>
      convertAnthropicResponse(body, name, responseTools.get(call.context)),
    parseError: (response: UpstreamErrorResponse) => parseAnthropicError(response, name),
    createStreamTranslator: (call: ProviderCall): StreamTranslator =>
      createAnthropicStreamTranslator({ providerName: name, responseTool: responseTools.get(call.context) }),
    buildPassthroughRequest: (body: unknown, call: ProviderCall): UpstreamRequest => {
      // An Anthropic client's body (the Anthropic inbound dialect), `model` already the target's: sent as is.
      // The client's `anthropic-beta` flags go along (added to the endpoint's own): fields of its body such
      // as `context_management` are refused by the API without them.
      // Under the endpoint's own spelling of the header, which the client's list then replaces.
      const key =
        Object.keys(call.endpoint.headers).find((header) => header.toLowerCase() === "anthropic-beta") ??
        "anthropic-beta";
      const beta = mergeBetaFlags(call.endpoint.headers[key], call.context.headers["anthropic-beta"]);
      return {
        method: "POST",
        path: "/v1/messages",
        headers: beta === undefined ? {} : { [key]: beta },
        body: JSON.stringify(body),
      };
    },
  };
}

function mergeBetaFlags(...lists: Array<string | undefined>): string | undefined {
  const flags = new Set(
    lists.flatMap((list) => (list ?? "").split(",").map((flag) => flag.trim())).filter((flag) => flag !== ""),
  );
  return flags.size === 0 ? undefined : [...flags].join(",");
}

function toEndpoint(
  id: string,
  endpoint: z.infer<typeof endpointSchema>,
  settings: z.infer<typeof optionsSchema>,
): Endpoint {
  const url = new URL(endpoint.baseURL ?? ANTHROPIC_BASE_URL);
  const headers: Record<string, string> = {
    ...endpoint.headers,
    "anthropic-version": settings.anthropicVersion,
  };
  if (endpoint.apiKey) headers["x-api-key"] = endpoint.apiKey;
  return Object.freeze({
    id,
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ""),
    headers: Object.freeze(headers),
    weight: endpoint.weight ?? 1,
  });
}

function mergeModels(
  table: readonly ModelInfo[],
  overrides: ReadonlyArray<string | { id: string; operations?: readonly Operation[]; price?: ModelPrice }>,
): readonly ModelInfo[] {
  const byId = new Map(table.map((model) => [model.id, model]));
  for (const entry of overrides) {
    const model = typeof entry === "string" ? { id: entry } : entry;
    const known = byId.get(model.id);
    byId.set(model.id, { ...known, ...model, operations: ["chat"] });
  }
  return Object.freeze([...byId.values()]);
}
