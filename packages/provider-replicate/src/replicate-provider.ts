import {
  type CanonicalRequest,
  type ChatCompletionRequest,
  type Endpoint,
  type ModelInfo,
  type ModelPrice,
  type Provider,
  type ProviderCall,
  type ProviderHttp,
  parseOptions,
  type StreamTranslator,
  SwitchyardError,
  type UpstreamAnswer,
  type UpstreamErrorResponse,
  type UpstreamRequest,
} from "@switchyard/core";
import { z } from "zod";
import {
  convertToReplicateInput,
  type ReplicateInputSettings,
  type ReplicatePromptTemplate,
  renderTranscriptPrompt,
} from "./convert-to-replicate-input.js";
import { REPLICATE_BASE_URL, type ReplicateCreateBody } from "./replicate-api.js";
import { parseReplicateError } from "./replicate-error.js";
import { type PredictionFlowSettings, runPrediction } from "./replicate-prediction-flow.js";
import { replicateModels } from "./replicate-prices.js";
import { readPrediction, toChatCompletion } from "./replicate-response.js";
import { createReplicateStreamTranslator } from "./replicate-stream-translator.js";

/** One place the provider's requests may go (an API token). */
export interface ReplicateEndpointOptions {
  /** Base URL of the API. @default "https://api.replicate.com/v1" */
  baseURL?: string;
  /** Sent as `Authorization: Bearer` (`r8_...`). */
  apiToken?: string;
  /** Extra headers for this endpoint. */
  headers?: Record<string, string>;
  /** Share of traffic for weighted balancing. @default 1 */
  weight?: number;
}

/** How one model is called. */
export interface ReplicateModelOptions {
  /** `owner/name` (an official model) or `owner/name:version` (a model version). */
  id: string;
  /** USD per million tokens; absent means cost unknown. @default the built-in table's, if listed there */
  price?: ModelPrice;
  /** Renders the conversation into the model's input. @default the provider's `template` */
  template?: ReplicatePromptTemplate;
  /** The input that takes `max_tokens`; `null` for a model with none (a limit is then refused). @default "max_tokens" */
  maxTokensInput?: string | null;
  /** The input that takes `stop` (comma-separated); `null` for a model with none. @default "stop_sequences" */
  stopInput?: string | null;
  /** The input that takes one image (URL or data URL), for vision models; absent: images are refused. */
  imageInput?: string | null;
  /** Fixed inputs sent with every request (e.g. `{ top_k: 50 }`); request fields override them. */
  input?: Record<string, unknown>;
}

/** Options of `createReplicateProvider`. */
export interface ReplicateProviderOptions extends ReplicateEndpointOptions {
  /** Provider name in the gateway (`name/owner/model` addresses it). @default "replicate" */
  name?: string;
  /** Models and how to call them; merged over the built-in table of official models. */
  models?: Array<string | ReplicateModelOptions>;
  /** Several tokens or accounts instead of the single `apiToken`. */
  endpoints?: ReplicateEndpointOptions[];
  /** The default prompt template. @default renderTranscriptPrompt */
  template?: ReplicatePromptTemplate;
  /** `Prefer: wait=n` for non-streamed requests, 1-60 s; 0 disables sync mode (poll at once). @default 60 */
  waitSeconds?: number;
  /** First pause between polls of an unfinished prediction; doubles each time. @default 250 */
  pollIntervalMs?: number;
  /** Longest pause between polls. @default 2000 */
  maxPollIntervalMs?: number;
  /** Longest a non-streamed prediction is polled before it is canceled and the request fails (504). @default 300000 */
  pollTimeoutMs?: number;
  /** `Cancel-After` deadline on every prediction (`30s`, `5m`, `1h30m`): Replicate cancels it when reached. */
  cancelAfter?: string;
  /** Let `name/owner/model` through even when not listed. @default true */
  acceptsUnlistedModels?: boolean;
}

const templateSchema = z.custom<ReplicatePromptTemplate>(
  (value) => typeof value === "function",
  "a function",
);
const inputName = z.string().regex(/^\w+$/, "an input name");

const endpointSchema = z
  .object({
    baseURL: z.url({ protocol: /^https?$/ }).optional(),
    apiToken: z.string().min(1).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    weight: z.number().positive().optional(),
  })
  .strict();

const modelSchema = z
  .object({
    id: z.string().regex(/^[\w.-]+\/[\w.-]+(:\w+)?$/, "owner/name or owner/name:version"),
    price: z
      .object({
        inputPerMillion: z.number().nonnegative(),
        outputPerMillion: z.number().nonnegative(),
        cachedInputPerMillion: z.number().nonnegative().optional(),
      })
      .optional(),
    template: templateSchema.optional(),
    maxTokensInput: inputName.nullable().optional(),
    stopInput: inputName.nullable().optional(),
    imageInput: inputName.nullable().optional(),
    input: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const optionsSchema = endpointSchema.extend({
  name: z
    .string()
    .regex(/^[\w.-]+$/)
    .default("replicate"),
  models: z.array(z.union([modelSchema.shape.id, modelSchema])).optional(),
  endpoints: z.array(endpointSchema).min(1).optional(),
  template: templateSchema.optional(),
  waitSeconds: z.number().int().min(0).max(60).default(60),
  pollIntervalMs: z.number().int().positive().default(250),
  maxPollIntervalMs: z.number().int().positive().default(2_000),
  pollTimeoutMs: z.number().int().positive().default(300_000),
  cancelAfter: z
    .string()
    .regex(/^(\d+|(\d+h)?(\d+m)?(\d+s)?)$/, "a duration such as 30s, 5m or 1h30m")
    .refine((value) => value !== "", "a duration such as 30s, 5m or 1h30m")
    .optional(),
  acceptsUnlistedModels: z.boolean().default(true),
});

type ModelSettings = ReplicateInputSettings & { readonly info: ModelInfo };

/**
 * The provider for Replicate's language models. Each chat request becomes a prediction: created, then
 * read when done (non-streamed, with sync mode and polling) or streamed from the prediction's stream URL.
 * Conversations are rendered into the model's `prompt`/`system_prompt` by a per-model template.
 */
export function createReplicateProvider(options: ReplicateProviderOptions = {}): Provider {
  const settings = parseOptions(optionsSchema, options, "replicate provider");
  const name = settings.name;
  const endpoints = (settings.endpoints ?? [settings]).map((endpoint, index) =>
    toEndpoint(`${name}#${index}`, { ...endpoint, baseURL: endpoint.baseURL ?? settings.baseURL }),
  );
  const defaults: ReplicateInputSettings = {
    template: settings.template ?? renderTranscriptPrompt,
    maxTokensInput: "max_tokens",
    stopInput: "stop_sequences",
    imageInput: null,
    input: {},
  };
  const byId = new Map<string, ModelSettings>();
  for (const model of replicateModels) byId.set(model.id, { ...defaults, info: model });
  for (const entry of settings.models ?? []) {
    const model = typeof entry === "string" ? { id: entry } : entry;
    const known = byId.get(model.id);
    byId.set(model.id, {
      template: model.template ?? known?.template ?? defaults.template,
      maxTokensInput:
        model.maxTokensInput === undefined ? (known?.maxTokensInput ?? "max_tokens") : model.maxTokensInput,
      stopInput: model.stopInput === undefined ? (known?.stopInput ?? "stop_sequences") : model.stopInput,
      imageInput: model.imageInput ?? known?.imageInput ?? null,
      input: model.input ?? known?.input ?? {},
      info: {
        id: model.id,
        operations: ["chat"],
        ...((model.price ?? known?.info.price) ? { price: model.price ?? known?.info.price } : {}),
      },
    });
  }
  const models = Object.freeze([...byId.values()].map((model) => model.info));
  const flow: PredictionFlowSettings = {
    name,
    waitSeconds: settings.waitSeconds,
    pollIntervalMs: settings.pollIntervalMs,
    maxPollIntervalMs: Math.max(settings.maxPollIntervalMs, settings.pollIntervalMs),
    pollTimeoutMs: settings.pollTimeoutMs,
  };

  // Settings of a model, or of its base model for `owner/name:version`, or the defaults.
  const settingsOf = (model: string): ReplicateInputSettings =>
    byId.get(model) ?? byId.get(model.split(":")[0] ?? model) ?? defaults;

  function buildRequest(request: CanonicalRequest, call: ProviderCall): UpstreamRequest {
    if (call.operation === "embeddings" || !("messages" in request)) {
      throw new SwitchyardError(
        "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED",
        `${name}: Replicate language models serve chat (and completions through chat), not ${call.operation}.`,
        { param: "model" },
      );
    }
    const input = convertToReplicateInput(
      request as ChatCompletionRequest,
      call.model,
      settingsOf(call.model),
      name,
    );
    const target = parseModelId(call.model, name);
    const body: ReplicateCreateBody = target.version ? { version: target.version, input } : { input };
    return {
      method: "POST",
      path: target.version ? "/predictions" : `/models/${target.owner}/${target.name}/predictions`,
      headers: settings.cancelAfter ? { "cancel-after": settings.cancelAfter } : {},
      body: JSON.stringify(body),
    };
  }

  return {
    name,
    dialect: "replicate",
    endpoints,
    acceptsUnlistedModels: settings.acceptsUnlistedModels,
    models: () => models,
    buildRequest,
    execute(request: CanonicalRequest, call: ProviderCall, http: ProviderHttp): Promise<UpstreamAnswer> {
      const create = buildRequest(request, call);
      return runPrediction(create, (request as ChatCompletionRequest).stream === true, call, http, flow);
    },
    parseResponse: (body: unknown, call: ProviderCall) =>
      toChatCompletion(readPrediction(body, name), call.model, name),
    parseError: (response: UpstreamErrorResponse) => parseReplicateError(response, name),
    createStreamTranslator: (call: ProviderCall): StreamTranslator =>
      createReplicateStreamTranslator(call.model, name),
  };
}

/** `owner/name` -> an official model; `owner/name:version` or a bare version id -> a model version. */
export function parseModelId(
  model: string,
  providerName: string,
): { owner?: string; name?: string; version?: string } {
  const versioned = /^([\w.-]+)\/([\w.-]+):(\w+)$/.exec(model);
  if (versioned) return { owner: versioned[1], name: versioned[2], version: versioned[3] };
  if (/^[0-9a-f]{64}$/.test(model)) return { version: model };
  const official = /^([\w.-]+)\/([\w.-]+)$/.exec(model);
  if (official) return { owner: official[1], name: official[2] };
  throw new SwitchyardError(
    "SWY_ERR_ROUTE_MODEL_NOT_FOUND",
    `${providerName}: '${model.slice(0, 200)}' is not a Replicate model (owner/name or owner/name:version).`,
    { param: "model" },
  );
}

function toEndpoint(id: string, endpoint: z.infer<typeof endpointSchema>): Endpoint {
  const url = new URL(endpoint.baseURL ?? REPLICATE_BASE_URL);
  const headers: Record<string, string> = { ...endpoint.headers };
  if (endpoint.apiToken) headers.authorization = `Bearer ${endpoint.apiToken}`;
  return Object.freeze({
    id,
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ""),
    headers: Object.freeze(headers),
    weight: endpoint.weight ?? 1,
  });
}
