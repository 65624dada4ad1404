import {
  type CanonicalRequest,
  type CanonicalResponse,
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
import { parseOpenAIError } from "./openai-error.js";
import { openaiModels } from "./openai-prices.js";
import { createOpenAIStreamTranslator } from "./openai-stream-translator.js";

/** One place the provider's requests may go (a key, a region, a replica). */
export interface OpenAIEndpointOptions {
  /** Base URL including the version prefix. @default "https://api.openai.com/v1" */
  baseURL?: string;
  /** Sent as `Authorization: Bearer`. Omit for servers that need no key (a local vLLM, Ollama). */
  apiKey?: string;
  /** Extra headers for this endpoint. */
  headers?: Record<string, string>;
  /** Share of traffic for weighted balancing. @default 1 */
  weight?: number;
}

/** A model entry: an id, or an id with operations and price. */
export type OpenAIModelOption = string | ModelInfo;

/** Options of `createOpenAIProvider`. */
export interface OpenAIProviderOptions extends OpenAIEndpointOptions {
  /** Provider name in the gateway (`name/model` addresses it). @default "openai" */
  name?: string;
  /** `OpenAI-Organization` header. */
  organization?: string;
  /** `OpenAI-Project` header. */
  project?: string;
  /**
   * The models this provider serves. For api.openai.com the built-in price table is used and these entries
   * override or extend it; for any other base URL only these are listed. @default the OpenAI price table
   */
  models?: OpenAIModelOption[];
  /** Several endpoints instead of the single `baseURL`/`apiKey`. */
  endpoints?: OpenAIEndpointOptions[];
  /** Let `name/any-model` through even when not listed. @default true */
  acceptsUnlistedModels?: boolean;
  /**
   * Whether the server accepts `stream_options.include_usage` (OpenAI, vLLM, Ollama, Groq do). When false,
   * the gateway does not ask for it and streamed usage stays unknown. @default true
   */
  streamUsage?: boolean;
}

const OPENAI_BASE_URL = "https://api.openai.com/v1";

const endpointSchema = z
  .object({
    baseURL: z.url({ protocol: /^https?$/ }).optional(),
    apiKey: z.string().min(1).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    weight: z.number().positive().optional(),
  })
  .strict();

const optionsSchema = endpointSchema.extend({
  name: z
    .string()
    .regex(/^[\w.-]+$/)
    .default("openai"),
  organization: z.string().optional(),
  project: z.string().optional(),
  models: z
    .array(
      z.union([
        z.string().min(1),
        z.object({
          id: z.string().min(1),
          operations: z.array(z.enum(["chat", "completions", "embeddings"])).optional(),
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
  streamUsage: z.boolean().default(true),
});

const operationPaths: Record<Operation, string> = {
  chat: "/chat/completions",
  completions: "/completions",
  embeddings: "/embeddings",
};

/**
 * The provider for OpenAI and any server that speaks its API (vLLM, Ollama, Groq, Together, LM Studio):
 * point `baseURL` at it. Requests and answers are already canonical, so the gateway's byte fast path
 * applies.
 */
export function createOpenAIProvider(options: OpenAIProviderOptions = {}): Provider {
  const settings = parseOptions(optionsSchema, options, "openai provider");
  const name = settings.name;
  const endpoints = (settings.endpoints ?? [settings]).map((endpoint, index) =>
    // Each endpoint inherits the top-level baseURL, key, headers and weight unless it sets its own.
    toEndpoint(
      `${name}#${index}`,
      {
        baseURL: endpoint.baseURL ?? settings.baseURL,
        apiKey: endpoint.apiKey ?? settings.apiKey,
        headers: { ...settings.headers, ...endpoint.headers },
        weight: endpoint.weight ?? settings.weight,
      },
      settings,
    ),
  );
  const isOpenAI = endpoints.every((endpoint) => endpoint.origin === new URL(OPENAI_BASE_URL).origin);
  const models = mergeModels(isOpenAI ? openaiModels : [], settings.models ?? []);
  return {
    name,
    dialect: "openai",
    endpoints,
    acceptsUnlistedModels: settings.acceptsUnlistedModels,
    models: () => models,
    buildRequest(request: CanonicalRequest, call: ProviderCall): UpstreamRequest {
      let body = request;
      if (!settings.streamUsage && "stream_options" in body) {
        const { stream_options: _dropped, ...rest } = body;
        body = rest as CanonicalRequest;
      }
      return {
        method: "POST",
        path: operationPaths[call.operation],
        headers: {},
        body: JSON.stringify(body),
      };
    },
    parseResponse(body: unknown, call: ProviderCall): CanonicalResponse {
      const expected = call.operation === "embeddings" ? "data" : "choices";
      if (
        typeof body !== "object" ||
        body === null ||
        !Array.isArray((body as Record<string, unknown>)[expected])
      ) {
        throw new SwitchyardError(
          "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
          `${name}: the answer has no '${expected}' array.`,
        );
      }
      return body as CanonicalResponse;
    },
    parseError: (response: UpstreamErrorResponse) => parseOpenAIError(response, name),
    createStreamTranslator: (): StreamTranslator => createOpenAIStreamTranslator(name),
  };
}

function toEndpoint(
  id: string,
  endpoint: z.infer<typeof endpointSchema>,
  settings: z.infer<typeof optionsSchema>,
): Endpoint {
  const url = new URL(endpoint.baseURL ?? OPENAI_BASE_URL);
  const headers: Record<string, string> = { ...endpoint.headers };
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`;
  if (settings.organization) headers["openai-organization"] = settings.organization;
  if (settings.project) headers["openai-project"] = settings.project;
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
    byId.set(model.id, { ...known, ...model, operations: model.operations ?? known?.operations ?? ["chat"] });
  }
  return Object.freeze([...byId.values()]);
}
