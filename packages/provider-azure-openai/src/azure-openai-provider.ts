import {
  type CanonicalRequest,
  type CanonicalResponse,
  type Endpoint,
  type ModelInfo,
  type ModelPrice,
  type Operation,
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
import { createOpenAIStreamTranslator } from "@switchyard/provider-openai";
import { z } from "zod";
import { AZURE_V1_API, azureRequestPath, DEFAULT_AZURE_API_VERSION } from "./azure-openai-api.js";
import { parseAzureOpenAIError } from "./azure-openai-error.js";
import { azureOpenAIModels } from "./azure-openai-prices.js";

/** One Azure OpenAI resource (or a gateway in front of one) requests may go to. */
export interface AzureOpenAIEndpointOptions {
  /** The resource name: requests go to `https://{resource}.openai.azure.com`. Give this or `baseURL`. */
  resource?: string;
  /**
   * The resource endpoint, e.g. `https://my-resource.openai.azure.com` or
   * `https://my-resource.cognitiveservices.azure.com`, or an APIM gateway URL with its path. A trailing
   * `/openai` or `/openai/v1` is dropped: the provider adds the API paths itself.
   */
  baseURL?: string;
  /** Sent as the `api-key` header. */
  apiKey?: string;
  /** A fixed Microsoft Entra ID access token, sent as `Authorization: Bearer`. Prefer `azureADTokenProvider`. */
  bearerToken?: string;
  /** Extra headers for this endpoint. */
  headers?: Record<string, string>;
  /** Share of traffic for weighted balancing. @default 1 */
  weight?: number;
}

/** A model entry: an id, or an id with operations and price. */
export type AzureOpenAIModelOption = string | ModelInfo;

/** Options of `createAzureOpenAIProvider`. */
export interface AzureOpenAIProviderOptions extends AzureOpenAIEndpointOptions {
  /** Provider name in the gateway (`name/model` addresses it). @default "azure" */
  name?: string;
  /**
   * Model id (what clients send) -> deployment name (what Azure routes on). A model with no entry is sent to
   * the deployment of the same name. Listed ids are the models this provider serves. @default {}
   */
  deployments?: Record<string, string>;
  /**
   * A dated data-plane version (`2024-10-21`, `2025-04-01-preview`, ...) selects the deployments surface
   * `/openai/deployments/{deployment}/...?api-version=...`; `"v1"` selects the versionless `/openai/v1/...`
   * surface, where the deployment name is sent as `model`. @default "2024-10-21" (the latest GA dated version)
   */
  apiVersion?: string;
  /**
   * Microsoft Entra ID: called before every request for an access token (scope
   * `https://cognitiveservices.azure.com/.default`), sent as `Authorization: Bearer`. It is called per
   * request, so it must cache: `getBearerTokenProvider(credential, scope)` from `@azure/identity` does.
   * Excludes `apiKey` and `bearerToken`.
   */
  azureADTokenProvider?: () => Promise<string>;
  /**
   * Extra models, or prices and operations for the ones in `deployments`. Prices of known Azure model names
   * come from the built-in table, looked up by model id and then by deployment name.
   */
  models?: AzureOpenAIModelOption[];
  /** Several resources (regions, keys) instead of the single `resource`/`baseURL`. */
  endpoints?: AzureOpenAIEndpointOptions[];
  /** Let `name/any-model` through even when not listed (sent to the deployment of that name). @default true */
  acceptsUnlistedModels?: boolean;
  /**
   * Whether to ask for usage on streams (`stream_options.include_usage`, api-version 2024-09-01-preview and
   * later). Set false for older versions, which refuse the field; streamed usage is then unknown. @default true
   */
  streamUsage?: boolean;
}

const endpointSchema = z
  .object({
    resource: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{1,62}$/i, "an Azure resource name (letters, digits, hyphens)")
      .optional(),
    baseURL: z.url({ protocol: /^https?$/ }).optional(),
    apiKey: z.string().min(1).optional(),
    bearerToken: z.string().min(1).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    weight: z.number().positive().optional(),
  })
  .strict()
  .refine((endpoint) => !(endpoint.resource && endpoint.baseURL), {
    message: "give either 'resource' or 'baseURL', not both",
  })
  .refine((endpoint) => !(endpoint.apiKey && endpoint.bearerToken), {
    message: "give either 'apiKey' or 'bearerToken', not both",
  });

const priceSchema = z.object({
  inputPerMillion: z.number().nonnegative(),
  outputPerMillion: z.number().nonnegative(),
  cachedInputPerMillion: z.number().nonnegative().optional(),
});

const optionsSchema = z
  .object({
    name: z
      .string()
      .regex(/^[\w.-]+$/)
      .default("azure"),
    resource: z.string().optional(),
    baseURL: z.string().optional(),
    apiKey: z.string().optional(),
    bearerToken: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    weight: z.number().optional(),
    deployments: z.record(z.string().min(1), z.string().min(1)).default({}),
    apiVersion: z
      .string()
      .regex(/^(v1|\d{4}-\d{2}-\d{2}(-preview)?)$/, "a dated version such as 2024-10-21, or v1")
      .default(DEFAULT_AZURE_API_VERSION),
    azureADTokenProvider: z
      .custom<() => Promise<string>>((value) => typeof value === "function", "a function returning a token")
      .optional(),
    models: z
      .array(
        z.union([
          z.string().min(1),
          z.object({
            id: z.string().min(1),
            operations: z.array(z.enum(["chat", "completions", "embeddings"])).optional(),
            price: priceSchema.optional(),
          }),
        ]),
      )
      .optional(),
    endpoints: z.array(endpointSchema).min(1).optional(),
    acceptsUnlistedModels: z.boolean().default(true),
    streamUsage: z.boolean().default(true),
  })
  .strict();

type Settings = z.infer<typeof optionsSchema>;

/**
 * The provider for Azure OpenAI. Answers are OpenAI Chat Completions bytes (plus Azure's content-filter
 * annotations, kept), so the gateway's byte fast path applies; what this provider adds is Azure's URLs,
 * authentication and error mapping.
 */
export function createAzureOpenAIProvider(options: AzureOpenAIProviderOptions): Provider {
  const settings = parseOptions(optionsSchema, options, "azure-openai provider");
  const name = settings.name;
  const endpoints = resolveEndpoints(settings).map((endpoint, index) =>
    toEndpoint(`${name}#${index}`, endpoint),
  );
  const models = listModels(settings);
  const tokenProvider = settings.azureADTokenProvider;
  const apiVersion = settings.apiVersion;

  function buildRequest(request: CanonicalRequest, call: ProviderCall): UpstreamRequest {
    const deployment = settings.deployments[call.model] ?? call.model;
    let body: Record<string, unknown> = request;
    if (!settings.streamUsage && "stream_options" in body) {
      const { stream_options: _dropped, ...rest } = body;
      body = rest;
    }
    // On the v1 surface the deployment is named in the body; on the deployments surface it is in the path
    // and Azure ignores `model`, so the body is left as the client sent it.
    if (apiVersion === AZURE_V1_API) body = { ...body, model: deployment };
    return {
      method: "POST",
      path: azureRequestPath(call.operation, deployment, apiVersion),
      headers: {},
      body: JSON.stringify(body),
    };
  }

  const provider: Provider = {
    name,
    dialect: "openai",
    endpoints,
    acceptsUnlistedModels: settings.acceptsUnlistedModels,
    models: () => models,
    buildRequest,
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
    parseError: (response: UpstreamErrorResponse) => parseAzureOpenAIError(response, name),
    createStreamTranslator: (): StreamTranslator => createOpenAIStreamTranslator(name),
  };
  if (tokenProvider) {
    // buildRequest is synchronous and the endpoint's headers are fixed, so a fresh token needs execute().
    provider.execute = async (
      request: CanonicalRequest,
      call: ProviderCall,
      http: ProviderHttp,
    ): Promise<UpstreamAnswer> => {
      const built = buildRequest(request, call);
      const token = await fetchToken(tokenProvider, name);
      return http.send({ ...built, headers: { ...built.headers, authorization: `Bearer ${token}` } });
    };
  }
  return provider;
}

async function fetchToken(tokenProvider: () => Promise<string>, name: string): Promise<string> {
  let token: unknown;
  try {
    token = await tokenProvider();
  } catch (error) {
    throw new SwitchyardError("SWY_ERR_UPSTREAM_AUTH", `${name}: the Entra ID token provider failed.`, {
      cause: error,
    });
  }
  if (typeof token !== "string" || token === "") {
    throw new SwitchyardError(
      "SWY_ERR_UPSTREAM_AUTH",
      `${name}: the Entra ID token provider returned no token.`,
    );
  }
  return token;
}

type EndpointSettings = z.infer<typeof endpointSchema>;

function resolveEndpoints(settings: Settings): EndpointSettings[] {
  const single = {
    resource: settings.resource,
    baseURL: settings.baseURL,
    apiKey: settings.apiKey,
    bearerToken: settings.bearerToken,
    headers: settings.headers,
    weight: settings.weight,
  };
  const hasSingle = Object.values(single).some((value) => value !== undefined);
  if (settings.endpoints && hasSingle) {
    throw configError("give the endpoint fields (resource, baseURL, apiKey, ...) or 'endpoints', not both");
  }
  let list: EndpointSettings[];
  if (settings.endpoints) list = settings.endpoints;
  else {
    const parsed = endpointSchema.safeParse(dropUndefined(single));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw configError(`${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
    }
    list = [parsed.data];
  }
  for (const [index, endpoint] of list.entries()) {
    const where = settings.endpoints ? `endpoints.${index}` : "(root)";
    if (!endpoint.resource && !endpoint.baseURL) throw configError(`${where}: give 'resource' or 'baseURL'`);
    if (settings.azureADTokenProvider && (endpoint.apiKey || endpoint.bearerToken)) {
      throw configError(`${where}: 'azureADTokenProvider' excludes 'apiKey' and 'bearerToken'`);
    }
  }
  return list;
}

function toEndpoint(id: string, endpoint: EndpointSettings): Endpoint {
  const url = new URL(endpoint.baseURL ?? `https://${endpoint.resource}.openai.azure.com`);
  const headers: Record<string, string> = { ...endpoint.headers };
  if (endpoint.apiKey) headers["api-key"] = endpoint.apiKey;
  if (endpoint.bearerToken) headers.authorization = `Bearer ${endpoint.bearerToken}`;
  return Object.freeze({
    id,
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, "").replace(/\/openai(\/v1)?$/, ""),
    headers: Object.freeze(headers),
    weight: endpoint.weight ?? 1,
  });
}

function listModels(settings: Settings): readonly ModelInfo[] {
  const table = new Map(azureOpenAIModels.map((model) => [model.id, model]));
  const byId = new Map<string, ModelInfo>();
  for (const [id, deployment] of Object.entries(settings.deployments)) {
    const known = table.get(id) ?? table.get(deployment);
    byId.set(id, known ? { ...known, id } : { id, operations: ["chat"] });
  }
  for (const entry of settings.models ?? []) {
    const model: { id: string; operations?: readonly Operation[]; price?: ModelPrice } =
      typeof entry === "string" ? { id: entry } : entry;
    const known = byId.get(model.id) ?? table.get(model.id);
    byId.set(model.id, { ...known, ...model, operations: model.operations ?? known?.operations ?? ["chat"] });
  }
  return Object.freeze([...byId.values()]);
}

function configError(detail: string): SwitchyardError {
  return new SwitchyardError("SWY_ERR_CONFIG_INVALID", `azure-openai provider options: ${detail}`);
}

function dropUndefined<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}
