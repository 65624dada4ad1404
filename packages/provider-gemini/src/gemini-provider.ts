import {
  type CanonicalRequest,
  type CanonicalResponse,
  type ChatCompletionRequest,
  type EmbeddingRequest,
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
import { convertGeminiResponse } from "./convert-gemini-response.js";
import { convertToGeminiRequest } from "./convert-to-gemini-request.js";
import type { GeminiSafetySetting } from "./gemini-api.js";
import { convertGeminiEmbedResponse, convertToGeminiEmbedRequest } from "./gemini-embeddings.js";
import { parseGeminiError } from "./gemini-error.js";
import { geminiModels } from "./gemini-prices.js";
import { createGeminiStreamTranslator } from "./gemini-stream-translator.js";

/** One place the provider's requests may go (a key, a project, a proxy). */
export interface GeminiEndpointOptions {
  /** Base URL including the version prefix. @default "https://generativelanguage.googleapis.com/v1beta" */
  baseURL?: string;
  /** Sent as the `x-goog-api-key` header (never in the URL, where it would end up in logs). */
  apiKey?: string;
  /** Extra headers for this endpoint. */
  headers?: Record<string, string>;
  /** Share of traffic for weighted balancing. @default 1 */
  weight?: number;
}

/** A model entry: an id, or an id with operations and price. */
export type GeminiModelOption = string | ModelInfo;

/** Options of `createGeminiProvider`. */
export interface GeminiProviderOptions extends GeminiEndpointOptions {
  /** Provider name in the gateway (`name/model` addresses it). @default "gemini" */
  name?: string;
  /**
   * The models this provider serves; these entries override or extend the built-in price table.
   * @default the Gemini price table (`geminiModels`)
   */
  models?: GeminiModelOption[];
  /** Several endpoints instead of the single `baseURL`/`apiKey`. */
  endpoints?: GeminiEndpointOptions[];
  /** Let `name/any-model` through even when not listed. @default true */
  acceptsUnlistedModels?: boolean;
  /** `safetySettings` sent with every chat request, e.g. `[{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_ONLY_HIGH" }]`. */
  safetySettings?: GeminiSafetySetting[];
  /**
   * Whether https image and file URLs are passed to Gemini as `fileData.fileUri` (Gemini fetches them).
   * When false, only Gemini Files API URIs and base64 data URLs are accepted; other URLs are refused with
   * a 400. @default true
   */
  remoteFileUrls?: boolean;
}

const GEMINI_BASE_URL = "https://generativelanguage.googleapis.com/v1beta";

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
    .default("gemini"),
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
  safetySettings: z
    .array(z.object({ category: z.string().min(1), threshold: z.string().min(1) }).strict())
    .optional(),
  remoteFileUrls: z.boolean().default(true),
});

/**
 * The provider for the Google Gemini API (`generativelanguage.googleapis.com`): OpenAI Chat Completions
 * in, `models/{model}:generateContent` / `:streamGenerateContent?alt=sse` out, and embeddings through
 * `:batchEmbedContents`.
 */
export function createGeminiProvider(options: GeminiProviderOptions = {}): Provider {
  const settings = parseOptions(optionsSchema, options, "gemini provider");
  const name = settings.name;
  const endpoints = (settings.endpoints ?? [settings]).map((endpoint, index) =>
    toEndpoint(`${name}#${index}`, { ...endpoint, baseURL: endpoint.baseURL ?? settings.baseURL }),
  );
  const models = mergeModels(geminiModels, settings.models ?? []);
  return {
    name,
    dialect: "gemini",
    endpoints,
    acceptsUnlistedModels: settings.acceptsUnlistedModels,
    models: () => models,
    buildRequest(request: CanonicalRequest, call: ProviderCall): UpstreamRequest {
      const model = geminiModelId(call.model);
      if (call.operation === "embeddings") {
        return {
          method: "POST",
          path: `/${modelPath(model)}:batchEmbedContents`,
          headers: {},
          body: JSON.stringify(convertToGeminiEmbedRequest(request as EmbeddingRequest, model)),
        };
      }
      if (call.operation !== "chat") {
        throw new SwitchyardError(
          "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED",
          `${name}: Gemini serves legacy completions through chat only.`,
        );
      }
      const body = convertToGeminiRequest(request as ChatCompletionRequest, {
        model,
        remoteFileUrls: settings.remoteFileUrls,
        ...(settings.safetySettings ? { safetySettings: settings.safetySettings } : {}),
      });
      return {
        method: "POST",
        path: call.context.stream
          ? `/${modelPath(model)}:streamGenerateContent?alt=sse`
          : `/${modelPath(model)}:generateContent`,
        headers: {},
        body: JSON.stringify(body),
      };
    },
    parseResponse(body: unknown, call: ProviderCall): CanonicalResponse {
      if (call.operation === "embeddings") {
        const encoding = (call.context.request as EmbeddingRequest).encoding_format;
        return convertGeminiEmbedResponse(body, call.model, encoding, name);
      }
      return convertGeminiResponse(body, call.model, name);
    },
    parseError: (response: UpstreamErrorResponse) => parseGeminiError(response, name),
    createStreamTranslator: (call: ProviderCall): StreamTranslator =>
      createGeminiStreamTranslator({
        providerName: name,
        model: call.model,
        candidates: (call.context.request as ChatCompletionRequest).n ?? 1,
      }),
  };
}

/**
 * The model id without the `models/` prefix Gemini's own SDKs use. Ids become URL path segments, so
 * anything but `[A-Za-z0-9._-]` is refused (tuned models keep their `tunedModels/` prefix).
 */
function geminiModelId(model: string): string {
  const id = model.startsWith("models/") ? model.slice("models/".length) : model;
  if (!/^(tunedModels\/)?[\w.-]+$/.test(id)) {
    throw new SwitchyardError(
      "SWY_ERR_REQUEST_INVALID",
      `Invalid 'model': '${id.slice(0, 200)}' is not a Gemini model id.`,
      {
        param: "model",
      },
    );
  }
  return id;
}

function modelPath(id: string): string {
  return id.startsWith("tunedModels/") ? id : `models/${id}`;
}

function toEndpoint(id: string, endpoint: z.infer<typeof endpointSchema>): Endpoint {
  const url = new URL(endpoint.baseURL ?? GEMINI_BASE_URL);
  const headers: Record<string, string> = { ...endpoint.headers };
  if (endpoint.apiKey) headers["x-goog-api-key"] = endpoint.apiKey;
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
