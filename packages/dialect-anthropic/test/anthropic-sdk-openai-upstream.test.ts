import Anthropic from "@anthropic-ai/sdk";
import { createApiKeyAuthPlugin, createGateway, type RequestContext, silentLogger } from "@switchyard/core";
import { listen, type NodeGatewayServer } from "@switchyard/http/node";
import { createRateLimitPlugin } from "@switchyard/limiter";
import { createMockUpstream, type MockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnthropicDialect } from "../src/index.js";

const weatherTool = {
  name: "get_weather",
  description: "Current weather in a city",
  input_schema: {
    type: "object" as const,
    properties: { city: { type: "string" } },
    required: ["city"],
  },
};

// What users run: the official Anthropic SDK pointed at the gateway, whose model is served by an
// OpenAI-compatible upstream (the mock): Anthropic in, canonical through, Anthropic out.
describe("the official Anthropic SDK through the gateway to an OpenAI upstream", () => {
  let upstream: MockUpstream;
  let server: NodeGatewayServer;
  let client: Anthropic;
  const seen: Array<{ dialect: string; usage: RequestContext["usage"] }> = [];

  beforeAll(async () => {
    upstream = await createMockUpstream({ reply: () => "The night train leaves from platform 4." });
    const gateway = createGateway({
      logger: silentLogger,
      retry: false,
      requireAuth: true,
      dialects: [createAnthropicDialect()],
      plugins: [createApiKeyAuthPlugin({ keys: [{ id: "team-a", key: "sk-gw-good" }] })],
      providers: [createOpenAIProvider({ name: "up", baseURL: `${upstream.url}/v1`, models: ["mock-1"] })],
    });
    // Plugins see which dialect the client speaks, and the usage, whatever the dialect.
    gateway.hooks.requestCompleted.tapPromise("test-observer", async (context) => {
      seen.push({ dialect: context.dialect, usage: context.usage });
    });
    server = await listen(gateway, { port: 0 });
    client = new Anthropic({ baseURL: server.url, apiKey: "sk-gw-good", maxRetries: 0 });
  });
  afterAll(async () => {
    await server.close();
    await upstream.close();
  });

  it("answers messages.create with an Anthropic message, and the upstream got a canonical request", async () => {
    seen.length = 0;
    const message = await client.messages.create({
      model: "mock-1",
      max_tokens: 64,
      system: "Be brief.",
      messages: [{ role: "user", content: "Where does the night train leave from?" }],
    });
    expect(message).toMatchObject({
      type: "message",
      role: "assistant",
      model: "mock-1",
      content: [{ type: "text", text: "The night train leaves from platform 4." }],
      stop_reason: "end_turn",
    });
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(upstream.requests.at(-1)?.body).toMatchObject({
      model: "mock-1",
      max_completion_tokens: 64,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Where does the night train leave from?" },
      ],
    });
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]?.dialect).toBe("anthropic");
    expect(seen[0]?.usage?.completion_tokens).toBe(message.usage.output_tokens);
  });

  it("streams text the SDK assembles, with usage from message_delta", async () => {
    const stream = client.messages.stream({
      model: "mock-1",
      max_tokens: 64,
      messages: [{ role: "user", content: "Where does the night train leave from?" }],
    });
    const types: string[] = [];
    stream.on("streamEvent", (event) => types.push(event.type));
    const message = await stream.finalMessage();
    expect(message.content).toEqual([{ type: "text", text: "The night train leaves from platform 4." }]);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(types[0]).toBe("message_start");
    expect(types.slice(-2)).toEqual(["message_delta", "message_stop"]);
  });

  it("runs a tool loop, streamed: tool_use with parsed input, then the tool_result turn gets text", async () => {
    const first = await client.messages
      .stream({
        model: "mock-1",
        max_tokens: 256,
        tools: [weatherTool],
        messages: [{ role: "user", content: "Weather in Oslo?" }],
      })
      .finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    const call = first.content.find((block) => block.type === "tool_use");
    expect(call).toMatchObject({ type: "tool_use", name: "get_weather" });
    expect(call?.type === "tool_use" && typeof (call.input as { city?: unknown }).city).toBe("string");

    const second = await client.messages.create({
      model: "mock-1",
      max_tokens: 256,
      tools: [weatherTool],
      messages: [
        { role: "user", content: "Weather in Oslo?" },
        { role: "assistant", content: first.content },
        {
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: call?.type === "tool_use" ? call.id : "",
              content: "Rain, 9°C",
            },
          ],
        },
      ],
    });
    expect(second.stop_reason).toBe("end_turn");
    expect(second.content[0]).toMatchObject({ type: "text" });
    expect(upstream.requests.at(-1)?.body).toMatchObject({
      messages: [
        { role: "user" },
        { role: "assistant", tool_calls: [{ function: { name: "get_weather" } }] },
        { role: "tool", content: "Rain, 9°C" },
      ],
    });
  });

  it("answers a non-streamed tool call too", async () => {
    const message = await client.messages.create({
      model: "mock-1",
      max_tokens: 256,
      tools: [weatherTool],
      tool_choice: { type: "tool", name: "get_weather" },
      messages: [{ role: "user", content: "Weather in Oslo?" }],
    });
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toEqual([
      expect.objectContaining({ type: "tool_use", name: "get_weather", input: expect.any(Object) }),
    ]);
  });

  it("counts tokens through messages.countTokens", async () => {
    const count = await client.messages.countTokens({
      model: "mock-1",
      messages: [{ role: "user", content: "Where does the night train leave from?" }],
    });
    expect(count.input_tokens).toBeGreaterThan(5);
  });

  it("raises AuthenticationError (401) for a wrong key", async () => {
    const stranger = new Anthropic({ baseURL: server.url, apiKey: "sk-wrong", maxRetries: 0 });
    const failure = await stranger.messages
      .create({ model: "mock-1", max_tokens: 8, messages: [{ role: "user", content: "Hi" }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(failure).toMatchObject({
      status: 401,
      error: { type: "error", error: { type: "authentication_error" } },
    });
  });

  it("raises NotFoundError (404) for a model no provider serves", async () => {
    const failure = await client.messages
      .create({ model: "no-such-model", max_tokens: 8, messages: [{ role: "user", content: "Hi" }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.NotFoundError);
    expect(failure).toMatchObject({ status: 404, error: { error: { type: "not_found_error" } } });
  });

  it("raises RateLimitError (429) when the upstream is rate limited, with Retry-After passed on", async () => {
    upstream.enqueueFault({ kind: "status", status: 429, retryAfter: 7 });
    const failure = await client.messages
      .create({ model: "mock-1", max_tokens: 8, messages: [{ role: "user", content: "Hi" }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.RateLimitError);
    expect(failure).toMatchObject({ status: 429, error: { error: { type: "rate_limit_error" } } });
    expect((failure as InstanceType<typeof Anthropic.RateLimitError>).headers?.get("retry-after")).toBe("7");
  });

  it("raises BadRequestError (400) with Anthropic's error body for a malformed request", async () => {
    const response = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "sk-gw-good" },
      body: JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "Hi" }] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: expect.stringContaining("max_tokens") },
    });
  });

  it("raises the stream's error event as an APIError when the upstream cuts a started stream", async () => {
    upstream.enqueueFault({ kind: "cut-stream", afterChunks: 3 });
    const stream = client.messages.stream({
      model: "mock-1",
      max_tokens: 64,
      messages: [{ role: "user", content: "Where does the night train leave from?" }],
    });
    const failure = await stream.finalMessage().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.APIError);
    expect(failure).toMatchObject({ error: { type: "error", error: { type: "api_error" } } });
  });
});

describe("the gateway's own limits apply to Anthropic clients", () => {
  let upstream: MockUpstream;
  let server: NodeGatewayServer;
  let client: Anthropic;

  beforeAll(async () => {
    upstream = await createMockUpstream({ record: false });
    const gateway = createGateway({
      logger: silentLogger,
      retry: false,
      dialects: [createAnthropicDialect()],
      plugins: [
        createRateLimitPlugin({
          limits: [
            { name: "tokens", unit: "tokens", limit: 1_000_000, per: "minute", key: "global" },
            { name: "requests", unit: "requests", limit: 2, per: "minute", key: "global" },
          ],
        }),
      ],
      providers: [createOpenAIProvider({ name: "up", baseURL: `${upstream.url}/v1`, models: ["mock-1"] })],
    });
    server = await listen(gateway, { port: 0 });
    client = new Anthropic({ baseURL: server.url, apiKey: "x", maxRetries: 0 });
  });
  afterAll(async () => {
    await server.close();
    await upstream.close();
  });

  it("fills message_start's input_tokens with the limiter's estimate, then refuses with RateLimitError", async () => {
    const body = {
      model: "mock-1",
      max_tokens: 32,
      messages: [{ role: "user" as const, content: "Where does the night train leave from?" }],
    };
    // count_tokens is answered by the dialect itself: it does not count against the request limit.
    const counted = await client.messages.countTokens({ model: body.model, messages: body.messages });
    let startTokens: number | undefined;
    const stream = client.messages.stream(body);
    stream.on("streamEvent", (event) => {
      if (event.type === "message_start") startTokens = event.message.usage.input_tokens;
    });
    const message = await stream.finalMessage();
    expect(startTokens).toBe(counted.input_tokens);
    // message_delta's real count (the upstream's, as a complete answer reports it) replaced the estimate.
    const complete = await client.messages.create(body);
    expect(message.usage.input_tokens).toBe(complete.usage.input_tokens);
    expect(message.usage.input_tokens).not.toBe(startTokens);

    const failure = await client.messages.create(body).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.RateLimitError);
    expect(failure).toMatchObject({
      status: 429,
      error: { type: "error", error: { type: "rate_limit_error" } },
    });
    expect(
      Number((failure as InstanceType<typeof Anthropic.RateLimitError>).headers?.get("retry-after")),
    ).toBeGreaterThan(0);
  });
});
