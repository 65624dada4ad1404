import { readFileSync } from "node:fs";
import { createGateway, type ProviderCall, silentLogger } from "@switchyard/core";
import { listen, type NodeGatewayServer } from "@switchyard/http/node";
import { createScriptedUpstream, type ScriptedUpstream } from "@switchyard/testing";
import OpenAI, { type APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGeminiProvider } from "./gemini-provider.js";

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8");
/** Cuts a recording into odd-sized pieces so that events straddle reads. */
const pieces = (text: string, size = 37) => {
  const out: string[] = [];
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size));
  return out;
};
const MODEL = "gemini-3-pro-preview";
const weatherTool = {
  type: "function" as const,
  function: {
    name: "weather",
    description: "Current weather",
    parameters: {
      type: "object",
      properties: { location: { type: "string" } },
      required: ["location"],
      additionalProperties: false,
    },
    strict: true,
  },
};

describe("the Gemini provider through a gateway, with the official openai SDK and recorded answers", () => {
  let upstream: ScriptedUpstream;
  let server: NodeGatewayServer;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await createScriptedUpstream();
    const gateway = createGateway({
      logger: silentLogger,
      retry: false,
      providers: [createGeminiProvider({ baseURL: `${upstream.url}/v1beta`, apiKey: "AIza-test-key" })],
    });
    server = await listen(gateway, { port: 0 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "x", maxRetries: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await upstream?.close();
  });

  const json = (body: string, status = 200, headers: Record<string, string> = {}) =>
    upstream.answer(() => ({ json: { status, body, headers } }));
  const stream = (text: string) => upstream.answer(() => ({ stream: { events: pieces(text) } }));
  const sent = () => upstream.requests.at(-1);

  it("answers a chat request from a recorded answer, the key in a header and not the URL", async () => {
    json(fixture("generate-content-text.json"));
    const completion = await client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: "system", content: "Be exact." },
        { role: "user", content: "How many r's in strawberry?" },
      ],
      max_completion_tokens: 300,
    });
    expect(completion.id).toBe("Un6LacrVMcjUxs0PmJfWoQc");
    expect(completion.choices[0]?.message.content).toBe(
      "There are **3** r's in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.",
    );
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 272, total_tokens: 281 });
    expect(sent()?.url).toBe(`/v1beta/models/${MODEL}:generateContent`);
    expect(sent()?.headers["x-goog-api-key"]).toBe("AIza-test-key");
    expect(sent()?.body).toEqual({
      contents: [{ role: "user", parts: [{ text: "How many r's in strawberry?" }] }],
      systemInstruction: { parts: [{ text: "Be exact." }] },
      generationConfig: { maxOutputTokens: 300 },
    });
  });

  it("streams a recorded answer, usage last only when asked", async () => {
    stream(fixture("stream-text.sse"));
    const withUsage = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "How many r's in strawberry?" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of withUsage) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe(
      'There are **3** "r"s in strawberry.\n\nst**r**awbe**rr**y',
    );
    expect(
      chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.finish_reason)).filter(Boolean),
    ).toEqual(["stop"]);
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toMatchObject({
      prompt_tokens: 9,
      completion_tokens: 208,
      total_tokens: 217,
    });
    expect(sent()?.url).toBe(`/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`);

    stream(fixture("stream-text.sse"));
    const withoutUsage = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "How many r's in strawberry?" }],
      stream: true,
    });
    let usageChunks = 0;
    for await (const chunk of withoutUsage) if (chunk.usage) usageChunks++;
    expect(usageChunks).toBe(0);
  });

  it("returns a recorded tool call and maps the result sent back to its function", async () => {
    json(fixture("generate-content-tool-call.json"));
    const question = { role: "user" as const, content: "Weather in San Francisco?" };
    const completion = await client.chat.completions.create({
      model: MODEL,
      messages: [question],
      tools: [weatherTool],
      tool_choice: "required",
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    const call = choice?.message.tool_calls?.[0];
    if (call?.type !== "function") throw new Error("expected a function tool call");
    expect(call.function.name).toBe("weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ location: "San Francisco" });
    expect(sent()?.body).toMatchObject({
      tools: [
        {
          functionDeclarations: [
            {
              name: "weather",
              description: "Current weather",
              parameters: {
                type: "object",
                properties: { location: { type: "string" } },
                required: ["location"],
              },
            },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: "ANY" } },
    });

    // The client sends the assistant message back as it got it, then the tool's result.
    json(fixture("generate-content-text.json"));
    await client.chat.completions.create({
      model: MODEL,
      messages: [
        question,
        choice?.message as OpenAI.ChatCompletionMessageParam,
        { role: "tool", tool_call_id: call.id, content: '{"temperature":18,"sky":"fog"}' },
      ],
      tools: [weatherTool],
    });
    expect((sent()?.body as { contents?: unknown[] } | undefined)?.contents).toEqual([
      { role: "user", parts: [{ text: "Weather in San Francisco?" }] },
      {
        role: "model",
        parts: [
          {
            functionCall: { name: "weather", args: { location: "San Francisco" } },
            thoughtSignature: expect.stringMatching(/^EskgCsYgAb4/),
          },
        ],
      },
      {
        role: "user",
        parts: [{ functionResponse: { name: "weather", response: { temperature: 18, sky: "fog" } } }],
      },
    ]);
  });

  it("streams a recorded tool call whose arguments reassemble", async () => {
    stream(fixture("stream-tool-call.sse"));
    const response = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "Weather in San Francisco?" }],
      tools: [weatherTool],
      stream: true,
      stream_options: { include_usage: true },
    });
    let name = "";
    let args = "";
    let id: string | undefined;
    const finishes: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of response) {
      usage = chunk.usage ?? usage;
      for (const choice of chunk.choices) {
        if (choice.finish_reason) finishes.push(choice.finish_reason);
        for (const call of choice.delta.tool_calls ?? []) {
          id ??= call.id;
          name += call.function?.name ?? "";
          args += call.function?.arguments ?? "";
        }
      }
    }
    expect(id).toBe("call_b36LacjwM668nsEP2tbsgQQ_0");
    expect(name).toBe("weather");
    expect(JSON.parse(args)).toEqual({ location: "San Francisco" });
    expect(finishes).toEqual(["tool_calls"]);
    expect(usage).toMatchObject({ prompt_tokens: 29, completion_tokens: 60, total_tokens: 89 });
  });

  it("carries structured outputs and images to Gemini's own fields", async () => {
    json(fixture("generate-content-text.json"));
    const schema = {
      type: "object",
      properties: { count: { type: "integer" } },
      required: ["count"],
      additionalProperties: false,
    };
    await client.chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Count the r's in this picture." },
            { type: "image_url", image_url: { url: "data:image/webp;base64,UklGRhIAAABXRUJQ" } },
            { type: "image_url", image_url: { url: "https://example.com/strawberry.png" } },
          ],
        },
      ],
      response_format: { type: "json_schema", json_schema: { name: "count", schema, strict: true } },
    });
    expect(sent()?.body).toEqual({
      contents: [
        {
          role: "user",
          parts: [
            { text: "Count the r's in this picture." },
            { inlineData: { mimeType: "image/webp", data: "UklGRhIAAABXRUJQ" } },
            { fileData: { mimeType: "image/png", fileUri: "https://example.com/strawberry.png" } },
          ],
        },
      ],
      generationConfig: { responseMimeType: "application/json", responseJsonSchema: schema },
    });
  });

  it("embeds through batchEmbedContents, in the base64 the SDK asks for by default", async () => {
    json(fixture("embeddings-batch.json"));
    const result = await client.embeddings.create({ model: "gemini-embedding-001", input: ["one", "two"] });
    expect(sent()?.url).toBe("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    expect(sent()?.body).toEqual({
      requests: [
        { model: "models/gemini-embedding-001", content: { parts: [{ text: "one" }] } },
        { model: "models/gemini-embedding-001", content: { parts: [{ text: "two" }] } },
      ],
    });
    expect(result.data.map((item) => item.index)).toEqual([0, 1]);
    const [first, second] = result.data.map((item) => item.embedding);
    expect(first?.[0]).toBeCloseTo(0.5138951, 6);
    expect(second?.[1]).toBeCloseTo(-0.8633931, 6);
    expect(result.usage).toEqual({ prompt_tokens: 12, total_tokens: 12 });
  });

  it("serves legacy completions through generateContent", async () => {
    json(fixture("generate-content-text.json"));
    const completion = await client.completions.create({ model: MODEL, prompt: "How many r's?" });
    expect(completion.choices[0]?.text).toMatch(/^There are \*\*3\*\*/);
    expect(sent()?.url).toBe(`/v1beta/models/${MODEL}:generateContent`);
  });

  describe("faults", () => {
    const ask = () =>
      client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "Hi" }] });
    const askStream = async () => {
      const response = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "Hi" }],
        stream: true,
      });
      let text = "";
      for await (const chunk of response) text += chunk.choices[0]?.delta.content ?? "";
      return text;
    };

    it("passes a recorded 429 on with the wait from its RetryInfo", async () => {
      json(fixture("error-rate-limit.json"), 429);
      const error = await ask().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect((error as APIError).headers?.get("retry-after")).toBe("35");
      expect((error as APIError).message).toContain("You exceeded your current quota");
    });

    it("maps 5xx and overloaded answers", async () => {
      json(
        JSON.stringify({
          error: { code: 500, message: "An internal error has occurred.", status: "INTERNAL" },
        }),
        500,
      );
      await expect(ask()).rejects.toMatchObject({ status: 502, code: "upstream_error" });
      json(
        JSON.stringify({ error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } }),
        503,
        { "retry-after": "2" },
      );
      const overloaded = (await ask().catch((caught: unknown) => caught)) as APIError;
      expect(overloaded).toMatchObject({ status: 503, code: "upstream_overloaded" });
      expect(overloaded.headers?.get("retry-after")).toBe("2");
    });

    it("answers a blocked prompt with a 400 content_filter, streamed or not", async () => {
      json(fixture("prompt-blocked.json"));
      await expect(ask()).rejects.toMatchObject({ status: 400, code: "content_filter" });
      stream(fixture("prompt-blocked-stream.sse"));
      await expect(askStream()).rejects.toMatchObject({ code: "content_filter" });
    });

    it("raises a cut stream, a malformed event and an error event as stream errors", async () => {
      const recorded = fixture("stream-text.sse");
      upstream.answer(() => ({ stream: { events: recorded.split(/(?<=\r\n\r\n)/), cutAfter: 2 } }));
      await expect(askStream()).rejects.toMatchObject({ code: "upstream_stream_interrupted" });
      upstream.answer(() => ({
        stream: { events: ['data: {"candidates":[{"content":{"parts":[{"te\r\n\r\n'] },
      }));
      await expect(askStream()).rejects.toMatchObject({ code: "upstream_invalid_response" });
      const failing = `${recorded.split("\r\n\r\n")[0]}\r\n\r\ndata: {"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL"}}\r\n\r\n`;
      upstream.answer(() => ({ stream: { events: [failing] } }));
      await expect(askStream()).rejects.toMatchObject({ code: "upstream_error" });
    });
  });
});

describe("createGeminiProvider", () => {
  const call = (provider: ReturnType<typeof createGeminiProvider>, model: string, stream = false) =>
    ({
      operation: "chat",
      model,
      endpoint: provider.endpoints[0],
      context: { stream, request: {} },
    }) as unknown as ProviderCall;
  const request = { model: "m", messages: [{ role: "user" as const, content: "Hi" }] };

  it("defaults to the Gemini API with the key in x-goog-api-key", () => {
    const provider = createGeminiProvider({ apiKey: "AIza-1" });
    expect(provider.name).toBe("gemini");
    expect(provider.dialect).toBe("gemini");
    expect(provider.endpoints).toEqual([
      {
        id: "gemini#0",
        origin: "https://generativelanguage.googleapis.com",
        basePath: "/v1beta",
        headers: { "x-goog-api-key": "AIza-1" },
        weight: 1,
      },
    ]);
    expect(provider.models().find((model) => model.id === "gemini-2.5-flash")?.price).toEqual({
      inputPerMillion: 0.3,
      outputPerMillion: 2.5,
      cachedInputPerMillion: 0.03,
    });
  });

  it("builds paths from model ids, with or without the models/ prefix, and refuses others", () => {
    const provider = createGeminiProvider({ apiKey: "k" });
    expect(provider.buildRequest(request, call(provider, "models/gemini-2.5-flash")).path).toBe(
      "/models/gemini-2.5-flash:generateContent",
    );
    expect(provider.buildRequest(request, call(provider, "tunedModels/my-model-7", true)).path).toBe(
      "/tunedModels/my-model-7:streamGenerateContent?alt=sse",
    );
    expect(() => provider.buildRequest(request, call(provider, "../files/x"))).toThrow(
      expect.objectContaining({ code: "SWY_ERR_REQUEST_INVALID", param: "model" }),
    );
  });

  it("overrides prices, spreads endpoints and refuses bad options", () => {
    const provider = createGeminiProvider({
      name: "google",
      endpoints: [{ apiKey: "a" }, { baseURL: "http://127.0.0.1:9/v1beta", apiKey: "b", weight: 3 }],
      models: [
        { id: "gemini-2.5-pro", price: { inputPerMillion: 1, outputPerMillion: 2 } },
        "gemma-3-27b-it",
      ],
    });
    expect(provider.endpoints.map((endpoint) => [endpoint.id, endpoint.origin, endpoint.weight])).toEqual([
      ["google#0", "https://generativelanguage.googleapis.com", 1],
      ["google#1", "http://127.0.0.1:9", 3],
    ]);
    expect(provider.models().find((model) => model.id === "gemini-2.5-pro")).toMatchObject({
      operations: ["chat"],
      price: { inputPerMillion: 1 },
    });
    expect(provider.models().find((model) => model.id === "gemma-3-27b-it")).toEqual({
      id: "gemma-3-27b-it",
      operations: ["chat"],
    });
    expect(() => createGeminiProvider({ baseURL: "ftp://example.com" })).toThrow(/baseURL/);
    expect(() => createGeminiProvider({ name: "has space" })).toThrow(/name/);
    expect(() => createGeminiProvider({ safetySettings: [{ category: "", threshold: "x" }] })).toThrow(
      /safetySettings/,
    );
  });
});
