import { readFile } from "node:fs/promises";
import { createGateway, type ProviderCall, silentLogger } from "@switchyard/core";
import { listen, type NodeGatewayServer } from "@switchyard/http/node";
import { createScriptedUpstream, type ScriptedUpstream } from "@switchyard/testing";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anthropicMessagesRequestSchema } from "./anthropic-api.js";
import { createAnthropicProvider } from "./anthropic-provider.js";

const fixture = (name: string) => readFile(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8");
const MODEL = "claude-sonnet-4-5";

/** Splits a text into pieces of `size` characters, so events straddle the upstream's writes. */
function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size));
  return out;
}

/** The data of each SSE event the client received. */
const dataOf = (text: string) =>
  text
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => block.slice(6));

describe("the Anthropic provider through a gateway, with recorded answers", () => {
  let upstream: ScriptedUpstream;
  let server: NodeGatewayServer;

  beforeAll(async () => {
    upstream = await createScriptedUpstream();
    const gateway = createGateway({
      logger: silentLogger,
      retry: false,
      providers: [createAnthropicProvider({ baseURL: upstream.url, apiKey: "sk-ant-test", models: [MODEL] })],
    });
    server = await listen(gateway, { port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await upstream.close();
  });

  const post = async (body: Record<string, unknown>, path = "/v1/chat/completions") => {
    const response = await request(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "Hello" }], ...body }),
    });
    return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
  };
  const lastSent = () => {
    const sent = upstream.requests.at(-1);
    if (!sent) throw new Error("nothing reached the upstream");
    return sent;
  };

  it("translates a recorded answer and keeps Anthropic's request-id", async () => {
    const recorded = await fixture("message-text.json");
    upstream.answer(() => ({
      json: { status: 200, body: recorded, headers: { "request-id": "req_018EeWyXxfu5pfWkrYcMdjWG" } },
    }));
    const response = await post({ temperature: 1.5, stop: ["\n\nHuman:"], user: "u-1" });
    expect(response.status).toBe(200);
    expect(response.headers["x-upstream-request-id"]).toBe("req_018EeWyXxfu5pfWkrYcMdjWG");
    const body = JSON.parse(response.text);
    expect(body).toMatchObject({
      id: "msg_013Zva2CMHLNnXjNJJKqJ2EF",
      object: "chat.completion",
      choices: [{ message: { role: "assistant", content: "Hi! My name is Claude." }, finish_reason: "stop" }],
      usage: { prompt_tokens: 2095, completion_tokens: 503, total_tokens: 2598 },
    });
    const sent = lastSent();
    expect(sent.url).toBe("/v1/messages");
    expect(sent.headers).toMatchObject({ "x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01" });
    expect(anthropicMessagesRequestSchema.parse(sent.body)).toEqual({
      model: MODEL,
      max_tokens: 4096,
      messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }],
      stop_sequences: ["\n\nHuman:"],
      temperature: 1,
      metadata: { user_id: "u-1" },
    });
  });

  it("streams a recorded tool call split at arbitrary byte boundaries", async () => {
    const recorded = await fixture("stream-tool-use.sse");
    upstream.answer(() => ({
      stream: { events: pieces(recorded, 37), headers: { "request-id": "req_stream_1" } },
    }));
    const response = await post({ stream: true, stream_options: { include_usage: true } });
    expect(response.headers["x-upstream-request-id"]).toBe("req_stream_1");
    const data = dataOf(response.text);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((item) => JSON.parse(item));
    const text = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? "").join("");
    const args = chunks
      .flatMap((chunk) => chunk.choices[0]?.delta?.tool_calls ?? [])
      .map((call: { function?: { arguments?: string } }) => call.function?.arguments ?? "")
      .join("");
    expect(text).toBe("Let me check.");
    expect(JSON.parse(args)).toEqual({ city: "San Francisco" });
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 624, completion_tokens: 59 },
    });
    expect(lastSent().body).toMatchObject({ stream: true });
    expect(lastSent().body).not.toHaveProperty("stream_options");
  });

  it("returns structured output as content through the whole pipeline", async () => {
    const recorded = await fixture("message-json-tool.json");
    upstream.answer(() => ({ json: { status: 200, body: recorded } }));
    const response = await post({
      response_format: { type: "json_schema", json_schema: { name: "json", schema: { type: "object" } } },
    });
    const body = JSON.parse(response.text);
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(JSON.parse(body.choices[0].message.content).elements[3]).toEqual({
      location: "Berlin",
      temperature: -9,
      condition: "snowy",
    });
    expect(lastSent().body).toMatchObject({ tool_choice: { type: "tool", name: "json" } });
  });

  it("serves legacy completions through the Messages API", async () => {
    const recorded = await fixture("message-text.json");
    upstream.answer(() => ({ json: { status: 200, body: recorded } }));
    const response = await request(`${server.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, prompt: "Say hi", max_tokens: 20 }),
    });
    const body = (await response.body.json()) as { object: string; choices: Array<{ text: string }> };
    expect(body.object).toBe("text_completion");
    expect(body.choices[0]?.text).toBe("Hi! My name is Claude.");
    expect(lastSent().body).toMatchObject({ max_tokens: 20, messages: [{ role: "user" }] });
  });

  it("refuses what Anthropic cannot do before calling it", async () => {
    const before = upstream.requests.length;
    const response = await post({ n: 3 });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text).error).toMatchObject({ code: "operation_not_supported", param: "n" });
    expect(upstream.requests.length).toBe(before);
  });
});

describe("the Anthropic provider's faults reach the client well-formed", () => {
  let upstream: ScriptedUpstream;
  let server: NodeGatewayServer;

  beforeAll(async () => {
    upstream = await createScriptedUpstream();
    const gateway = createGateway({
      logger: silentLogger,
      retry: false,
      providers: [createAnthropicProvider({ baseURL: upstream.url, apiKey: "sk-ant-test", models: [MODEL] })],
    });
    server = await listen(gateway, { port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await upstream.close();
  });

  const post = async (stream = false) => {
    const response = await request(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "Hello" }], stream }),
    });
    return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
  };

  it("passes a recorded 429 on with its Retry-After and message", async () => {
    const body = await fixture("error-rate-limit.json");
    upstream.answer(() => ({
      json: { status: 429, body, headers: { "retry-after": "20", "request-id": "req_429" } },
    }));
    const response = await post();
    expect(response.status).toBe(429);
    expect(response.headers["retry-after"]).toBe("20");
    const error = JSON.parse(response.text).error;
    expect(error.code).toBe("upstream_rate_limited");
    expect(error.message).toContain("of 20,000 input tokens per minute");
    expect(error.message).toContain("req_429");
  });

  it("answers a recorded 529 overload with 503 upstream_overloaded", async () => {
    const body = await fixture("error-overloaded.json");
    upstream.answer(() => ({ json: { status: 529, body, headers: { "retry-after": "4" } } }));
    const response = await post();
    expect(response.status).toBe(503);
    expect(response.headers["retry-after"]).toBe("4");
    expect(JSON.parse(response.text).error).toMatchObject({
      code: "upstream_overloaded",
      message: "anthropic: Overloaded",
    });
  });

  it("answers a 5xx with 502 upstream_error", async () => {
    upstream.answer(() => ({
      json: {
        status: 500,
        body: '{"type":"error","error":{"type":"api_error","message":"Internal server error"}}',
      },
    }));
    const response = await post();
    expect(response.status).toBe(502);
    expect(JSON.parse(response.text).error).toMatchObject({ code: "upstream_error" });
  });

  it("ends a stream with the overload error event that arrived mid-stream, never [DONE]", async () => {
    const events = (await fixture("stream-text.sse")).split(/(?<=\n\n)/);
    const overload = await fixture("stream-error-overloaded.sse");
    upstream.answer(() => ({ stream: { events: [...events.slice(0, 6), overload] } }));
    const data = dataOf((await post(true)).text);
    expect(data).not.toContain("[DONE]");
    expect(
      data
        .slice(0, -1)
        .map((item) => JSON.parse(item).choices[0].delta.content)
        .join(""),
    ).toBe("Hello! I'm doing well, thank you for asking");
    expect(JSON.parse(data.at(-1) as string).error).toMatchObject({
      code: "upstream_overloaded",
      message: "anthropic: Overloaded",
    });
  });

  it("ends a cut stream with a stream-interrupted error event", async () => {
    const events = (await fixture("stream-text.sse")).split(/(?<=\n\n)/);
    upstream.answer(() => ({ stream: { events, cutAfter: 8 } }));
    const data = dataOf((await post(true)).text);
    expect(data).not.toContain("[DONE]");
    expect(JSON.parse(data.at(-1) as string).error.code).toBe("upstream_stream_interrupted");
  });

  it("ends a stream that closes after message_delta but before message_stop with an error", async () => {
    const events = (await fixture("stream-text.sse")).split(/(?<=\n\n)/);
    upstream.answer(() => ({ stream: { events: events.slice(0, -1) } }));
    const data = dataOf((await post(true)).text);
    expect(data).not.toContain("[DONE]");
    expect(JSON.parse(data.at(-1) as string).error.code).toBe("upstream_stream_interrupted");
  });

  it("turns a malformed event into a clean upstream_invalid_response error event", async () => {
    const events = (await fixture("stream-text.sse")).split(/(?<=\n\n)/);
    upstream.answer(() => ({
      stream: {
        events: [
          ...events.slice(0, 4),
          'event: content_block_delta\ndata: {"type":"content_block_delta","ind\n\n',
        ],
      },
    }));
    const data = dataOf((await post(true)).text);
    expect(data).not.toContain("[DONE]");
    expect(JSON.parse(data.at(-1) as string).error.code).toBe("upstream_invalid_response");
  });

  it("answers 502 upstream_invalid_response when a 200 is not a message", async () => {
    upstream.answer(() => ({ json: { status: 200, body: '{"type":"completion","completion":"hi"}' } }));
    const response = await post();
    expect(response.status).toBe(502);
    expect(JSON.parse(response.text).error.code).toBe("upstream_invalid_response");
  });
});

describe("createAnthropicProvider options", () => {
  const call = (
    provider: ReturnType<typeof createAnthropicProvider>,
    model: string,
    operation: "chat" | "embeddings" = "chat",
  ) => ({ operation, model, endpoint: provider.endpoints[0], context: {} }) as unknown as ProviderCall;
  const build = (provider: ReturnType<typeof createAnthropicProvider>, model: string) =>
    JSON.parse(
      provider.buildRequest({ model, messages: [{ role: "user", content: "x" }] }, call(provider, model))
        .body ?? "{}",
    );

  it("points at api.anthropic.com with the key, the API version and the Claude price table", () => {
    const provider = createAnthropicProvider({ apiKey: "sk-ant-1" });
    expect(provider.name).toBe("anthropic");
    expect(provider.dialect).toBe("anthropic");
    expect(provider.endpoints).toEqual([
      {
        id: "anthropic#0",
        origin: "https://api.anthropic.com",
        basePath: "",
        headers: { "anthropic-version": "2023-06-01", "x-api-key": "sk-ant-1" },
        weight: 1,
      },
    ]);
    expect(provider.models().find((model) => model.id === "claude-sonnet-4-5")?.price).toEqual({
      inputPerMillion: 3,
      outputPerMillion: 15,
      cachedInputPerMillion: 0.3,
    });
  });

  it("takes a version, extra headers, a proxy base path and several endpoints", () => {
    const provider = createAnthropicProvider({
      name: "claude",
      anthropicVersion: "2023-01-01",
      endpoints: [
        { baseURL: "https://proxy.example/anthropic/", apiKey: "a", headers: { "anthropic-beta": "x-2025" } },
        { apiKey: "b", weight: 3 },
      ],
      models: ["claude-next", { id: "claude-haiku-4-5", price: { inputPerMillion: 2, outputPerMillion: 6 } }],
    });
    expect(
      provider.endpoints.map((endpoint) => [
        endpoint.id,
        endpoint.origin,
        endpoint.basePath,
        endpoint.weight,
      ]),
    ).toEqual([
      ["claude#0", "https://proxy.example", "/anthropic", 1],
      ["claude#1", "https://api.anthropic.com", "", 3],
    ]);
    expect(provider.endpoints[0]?.headers).toEqual({
      "anthropic-beta": "x-2025",
      "anthropic-version": "2023-01-01",
      "x-api-key": "a",
    });
    expect(provider.models().find((model) => model.id === "claude-next")).toEqual({
      id: "claude-next",
      operations: ["chat"],
    });
    expect(provider.models().find((model) => model.id === "claude-haiku-4-5")?.price?.inputPerMillion).toBe(
      2,
    );
  });

  it("uses the default max_tokens, per model when given a table", () => {
    expect(build(createAnthropicProvider({ apiKey: "k" }), "claude-x").max_tokens).toBe(4096);
    expect(
      build(createAnthropicProvider({ apiKey: "k", defaultMaxTokens: 1000 }), "claude-x").max_tokens,
    ).toBe(1000);
    const table = createAnthropicProvider({ apiKey: "k", defaultMaxTokens: { "claude-opus-4-1": 32000 } });
    expect(build(table, "claude-opus-4-1").max_tokens).toBe(32000);
    expect(build(table, "claude-x").max_tokens).toBe(4096);
  });

  it("serves chat only", () => {
    const provider = createAnthropicProvider({ apiKey: "k" });
    expect(() =>
      provider.buildRequest({ model: "m", input: "x" }, call(provider, "m", "embeddings")),
    ).toThrow(expect.objectContaining({ code: "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED" }));
  });

  it("refuses bad options, naming the field", () => {
    expect(() => createAnthropicProvider({ baseURL: "ftp://example.com" })).toThrow(/baseURL/);
    expect(() => createAnthropicProvider({ anthropicVersion: "latest" })).toThrow(/anthropicVersion/);
    expect(() => createAnthropicProvider({ defaultMaxTokens: 0 })).toThrow(/defaultMaxTokens/);
    expect(() => createAnthropicProvider({ endpoints: [] })).toThrow(/endpoints/);
    expect(() => createAnthropicProvider({ name: "has space" })).toThrow(/name/);
  });
});
