import type {
  CanonicalRequest,
  Endpoint,
  Provider,
  ProviderCall,
  ProviderHttp,
  UpstreamAnswer,
  UpstreamRequest,
} from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { createAzureOpenAIProvider } from "./azure-openai-provider.js";

const chatRequest: CanonicalRequest = {
  model: "gpt-4o",
  messages: [
    { role: "system", content: "Be brief." },
    {
      role: "user",
      content: [
        { type: "text", text: "What is in this picture?" },
        { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" } },
      ],
    },
  ],
  temperature: 0.2,
  response_format: {
    type: "json_schema",
    json_schema: { name: "answer", strict: true, schema: { type: "object", properties: {} } },
  },
  stream: true,
  stream_options: { include_usage: true },
};

function callOf(
  provider: Provider,
  model: string,
  operation: ProviderCall["operation"] = "chat",
): ProviderCall {
  return {
    operation,
    model,
    endpoint: provider.endpoints[0] as Endpoint,
    context: {} as ProviderCall["context"],
    signal: new AbortController().signal,
  };
}

describe("createAzureOpenAIProvider request translation", () => {
  it("sends chat to the deployment's path with the api-version, body unchanged", () => {
    const provider = createAzureOpenAIProvider({
      resource: "contoso-east",
      apiKey: "azure-key",
      deployments: { "gpt-4o": "prod-gpt4o" },
    });
    const built = provider.buildRequest(chatRequest, callOf(provider, "gpt-4o"));
    expect(built).toEqual({
      method: "POST",
      path: "/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21",
      headers: {},
      body: JSON.stringify(chatRequest),
    });
    expect(provider.endpoints[0]).toMatchObject({
      id: "azure#0",
      origin: "https://contoso-east.openai.azure.com",
      basePath: "",
      headers: { "api-key": "azure-key" },
    });
    expect(provider.dialect).toBe("openai");
  });

  it("routes embeddings and completions to their deployment paths, a model without entry to its own name", () => {
    const provider = createAzureOpenAIProvider({
      resource: "contoso",
      apiKey: "k",
      apiVersion: "2025-04-01-preview",
    });
    const embed = provider.buildRequest(
      { model: "text-embedding-3-small", input: "hello" },
      callOf(provider, "text-embedding-3-small", "embeddings"),
    );
    expect(embed.path).toBe(
      "/openai/deployments/text-embedding-3-small/embeddings?api-version=2025-04-01-preview",
    );
    const complete = provider.buildRequest(
      { model: "gpt-35-turbo-instruct", prompt: "Say hi" },
      callOf(provider, "gpt-35-turbo-instruct", "completions"),
    );
    expect(complete.path).toBe(
      "/openai/deployments/gpt-35-turbo-instruct/completions?api-version=2025-04-01-preview",
    );
  });

  it("uses the v1 surface with the deployment as model when apiVersion is v1", () => {
    const provider = createAzureOpenAIProvider({
      baseURL: "https://contoso.openai.azure.com/openai/v1/",
      apiKey: "k",
      apiVersion: "v1",
      deployments: { "gpt-4.1": "gpt41-global" },
    });
    const built = provider.buildRequest(chatRequest, callOf(provider, "gpt-4.1"));
    expect(built.path).toBe("/openai/v1/chat/completions");
    expect(JSON.parse(built.body ?? "")).toEqual({ ...chatRequest, model: "gpt41-global" });
    expect(provider.endpoints[0]?.basePath).toBe("");
  });

  it("keeps a gateway's base path and encodes the deployment name", () => {
    const provider = createAzureOpenAIProvider({
      baseURL: "https://apim.example.com/llm/openai",
      apiKey: "k",
      deployments: { chat: "team a/chat" },
    });
    expect(provider.endpoints[0]).toMatchObject({ origin: "https://apim.example.com", basePath: "/llm" });
    expect(provider.buildRequest(chatRequest, callOf(provider, "chat")).path).toBe(
      "/openai/deployments/team%20a%2Fchat/chat/completions?api-version=2024-10-21",
    );
  });

  it("drops stream_options for api-versions that refuse it", () => {
    const provider = createAzureOpenAIProvider({ resource: "contoso", apiKey: "k", streamUsage: false });
    const body = JSON.parse(provider.buildRequest(chatRequest, callOf(provider, "gpt-4o")).body ?? "");
    expect(body).not.toHaveProperty("stream_options");
    expect(body.stream).toBe(true);
  });
});

describe("createAzureOpenAIProvider authentication", () => {
  it("sends a static Entra ID token as a bearer header and defines no execute()", () => {
    const provider = createAzureOpenAIProvider({ resource: "contoso", bearerToken: "eyJ0.static" });
    expect(provider.endpoints[0]?.headers).toEqual({ authorization: "Bearer eyJ0.static" });
    expect(provider.execute).toBeUndefined();
  });

  it("asks the token provider before every request and adds the token to that request only", async () => {
    let calls = 0;
    const provider = createAzureOpenAIProvider({
      resource: "contoso",
      azureADTokenProvider: async () => `token-${++calls}`,
    });
    const sent: UpstreamRequest[] = [];
    const http: ProviderHttp = {
      send: async (request) => {
        sent.push(request);
        return { status: 200, headers: {}, body: undefined as unknown as UpstreamAnswer["body"] };
      },
    };
    await provider.execute?.(chatRequest, callOf(provider, "gpt-4o"), http);
    await provider.execute?.(chatRequest, callOf(provider, "gpt-4o"), http);
    expect(sent.map((request) => request.headers.authorization)).toEqual([
      "Bearer token-1",
      "Bearer token-2",
    ]);
    expect(sent[0]?.path).toBe("/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21");
    expect(provider.endpoints[0]?.headers).toEqual({});
  });

  it("turns a failing token provider into an upstream auth error without sending", async () => {
    const provider = createAzureOpenAIProvider({
      resource: "contoso",
      azureADTokenProvider: async () => {
        throw new Error("AADSTS700016: secret details");
      },
    });
    let sends = 0;
    const http: ProviderHttp = {
      send: async () => {
        sends++;
        throw new Error("unreachable");
      },
    };
    await expect(provider.execute?.(chatRequest, callOf(provider, "gpt-4o"), http)).rejects.toMatchObject({
      code: "SWY_ERR_UPSTREAM_AUTH",
      message: "azure: the Entra ID token provider failed.",
    });
    expect(sends).toBe(0);
  });
});

describe("createAzureOpenAIProvider options", () => {
  it("lists the deployments with table prices, by model id or deployment name", () => {
    const provider = createAzureOpenAIProvider({
      resource: "contoso",
      apiKey: "k",
      deployments: {
        "gpt-4o-mini": "mini-prod",
        chat: "gpt-4.1",
        embed: "text-embedding-3-large",
        custom: "x",
      },
      models: [{ id: "custom", price: { inputPerMillion: 1, outputPerMillion: 2 } }],
    });
    const byId = new Map(provider.models().map((model) => [model.id, model]));
    expect(byId.get("gpt-4o-mini")?.price?.inputPerMillion).toBe(0.15);
    expect(byId.get("chat")?.price).toMatchObject({ inputPerMillion: 2, outputPerMillion: 8 });
    expect(byId.get("embed")?.operations).toEqual(["embeddings"]);
    expect(byId.get("custom")).toEqual({
      id: "custom",
      operations: ["chat"],
      price: { inputPerMillion: 1, outputPerMillion: 2 },
    });
    expect([...byId.keys()]).toHaveLength(4);
  });

  it("spreads several resources", () => {
    const provider = createAzureOpenAIProvider({
      name: "azure-eu",
      endpoints: [
        { resource: "contoso-swe", apiKey: "a" },
        { baseURL: "https://contoso-fr.openai.azure.com", apiKey: "b", weight: 2 },
      ],
    });
    expect(provider.endpoints.map((endpoint) => [endpoint.id, endpoint.origin, endpoint.weight])).toEqual([
      ["azure-eu#0", "https://contoso-swe.openai.azure.com", 1],
      ["azure-eu#1", "https://contoso-fr.openai.azure.com", 2],
    ]);
  });

  it("refuses bad or contradictory options, naming the field", () => {
    expect(() => createAzureOpenAIProvider({ apiKey: "k" })).toThrow(/resource' or 'baseURL/);
    expect(() =>
      createAzureOpenAIProvider({ resource: "ab", baseURL: "https://b.example", apiKey: "k" }),
    ).toThrow(/not both/);
    expect(() => createAzureOpenAIProvider({ resource: "ab", apiKey: "k", bearerToken: "t" })).toThrow(
      /apiKey' or 'bearerToken/,
    );
    expect(() =>
      createAzureOpenAIProvider({ resource: "ab", apiKey: "k", azureADTokenProvider: async () => "t" }),
    ).toThrow(/azureADTokenProvider' excludes/);
    expect(() => createAzureOpenAIProvider({ resource: "ab", apiVersion: "latest" })).toThrow(/apiVersion/);
    expect(() => createAzureOpenAIProvider({ resource: "bad_name!", apiKey: "k" })).toThrow(/resource/);
    expect(() =>
      createAzureOpenAIProvider({ resource: "ab", endpoints: [{ resource: "cd", apiKey: "k" }] }),
    ).toThrow(/not both/);
    expect(() => createAzureOpenAIProvider({ resource: "ab", apiKey: "k", region: "x" } as never)).toThrow(
      /region/,
    );
  });
});
