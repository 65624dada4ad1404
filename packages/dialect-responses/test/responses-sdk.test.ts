import { readFile } from "node:fs/promises";
import { createGateway, silentLogger } from "@switchyard/core";
import { listen, type NodeGatewayServer } from "@switchyard/http/node";
import { createAnthropicProvider } from "@switchyard/provider-anthropic";
import { createMockUpstream, type MockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { createScriptedUpstream, type ScriptedUpstream } from "@switchyard/testing";
import OpenAI from "openai";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createResponsesDialect } from "../src/index.js";

const recorded = (name: string) =>
  readFile(new URL(`../../provider-anthropic/src/__fixtures__/${name}`, import.meta.url), "utf8");

const weatherTool: OpenAI.Responses.FunctionTool = {
  type: "function",
  name: "get_weather",
  description: "Current weather in a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
    additionalProperties: false,
  },
  strict: true,
};

// The official openai SDK's Responses API (`client.responses.create`) pointed at the gateway, with models
// served by an OpenAI-compatible upstream (the mock) and by Anthropic (a scripted upstream with recordings).
describe("the openai SDK's Responses API through the gateway", () => {
  let mock: MockUpstream;
  let anthropic: ScriptedUpstream;
  let server: NodeGatewayServer;
  let client: OpenAI;
  const dialects: string[] = [];

  beforeAll(async () => {
    mock = await createMockUpstream({ reply: () => "Platform 4, at 23:10." });
    anthropic = await createScriptedUpstream();
    const gateway = createGateway({
      logger: silentLogger,
      retry: false,
      dialects: [createResponsesDialect()],
      providers: [
        createOpenAIProvider({ name: "up", baseURL: `${mock.url}/v1`, models: ["mock-1"] }),
        createAnthropicProvider({ baseURL: anthropic.url, apiKey: "sk-ant", models: ["claude-haiku-4-5"] }),
      ],
    });
    gateway.hooks.requestCompleted.tapPromise("test-dialect", async (context) => {
      dialects.push(context.dialect);
    });
    server = await listen(gateway, { port: 0 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "x", maxRetries: 0 });
  });
  afterAll(async () => {
    await server.close();
    await mock.close();
    await anthropic.close();
  });

  it("answers responses.create with output_text and usage; plugins see the responses dialect", async () => {
    dialects.length = 0;
    const response = await client.responses.create({
      model: "mock-1",
      instructions: "Be brief.",
      input: "Which platform for the night train?",
      max_output_tokens: 50,
    });
    expect(response.object).toBe("response");
    expect(response.status).toBe("completed");
    expect(response.output_text).toBe("Platform 4, at 23:10.");
    expect(response.output).toEqual([
      expect.objectContaining({ type: "message", role: "assistant", status: "completed" }),
    ]);
    expect(response.usage?.input_tokens).toBeGreaterThan(0);
    expect(response.usage?.total_tokens).toBe(
      (response.usage?.input_tokens ?? 0) + (response.usage?.output_tokens ?? 0),
    );
    expect(response.instructions).toBe("Be brief.");
    expect(mock.requests.at(-1)?.body).toMatchObject({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Which platform for the night train?" },
      ],
      max_completion_tokens: 50,
    });
    await expect.poll(() => dialects).toEqual(["responses"]);
  });

  it("streams events in order with sequence numbers, and the SDK's stream helper assembles them", async () => {
    const stream = await client.responses.create({
      model: "mock-1",
      input: "Which platform for the night train?",
      stream: true,
    });
    const received: ResponseStreamEvent[] = [];
    for await (const event of stream) received.push(event);
    const types = received.map((event) => event.type);
    expect(types.slice(0, 4)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
    ]);
    expect(types.slice(-4)).toEqual([
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(received.map((event) => event.sequence_number)).toEqual(received.map((_event, index) => index));
    const text = received
      .flatMap((event) => (event.type === "response.output_text.delta" ? [event.delta] : []))
      .join("");
    expect(text).toBe("Platform 4, at 23:10.");
    const completed = received.at(-1);
    expect(
      completed?.type === "response.completed" && completed.response.usage?.output_tokens,
    ).toBeGreaterThan(0);

    const final = await client.responses
      .stream({ model: "mock-1", input: "Which platform for the night train?" })
      .finalResponse();
    expect(final.output_text).toBe("Platform 4, at 23:10.");
  });

  it("runs a tool loop: a function_call item, then the function_call_output gets a text answer", async () => {
    const first = await client.responses.create({
      model: "mock-1",
      input: "Weather in Oslo?",
      tools: [weatherTool],
    });
    const call = first.output.find((item) => item.type === "function_call");
    expect(call).toMatchObject({ type: "function_call", name: "get_weather", status: "completed" });
    expect(call?.type === "function_call" && JSON.parse(call.arguments)).toEqual({
      city: expect.any(String),
    });

    const second = await client.responses.create({
      model: "mock-1",
      tools: [weatherTool],
      input: [
        { role: "user", content: "Weather in Oslo?" },
        ...(first.output as OpenAI.Responses.ResponseInputItem[]),
        {
          type: "function_call_output",
          call_id: call?.type === "function_call" ? call.call_id : "",
          output: "Rain",
        },
      ],
    });
    expect(second.output_text).toBe("Platform 4, at 23:10.");
    expect(mock.requests.at(-1)?.body).toMatchObject({
      messages: [
        { role: "user" },
        { role: "assistant", tool_calls: [{ function: { name: "get_weather" } }] },
        { role: "tool", content: "Rain" },
      ],
    });
  });

  it("streams a function call's arguments as deltas, then done", async () => {
    const stream = await client.responses.create({
      model: "mock-1",
      input: "Weather in Oslo?",
      tools: [weatherTool],
      tool_choice: { type: "function", name: "get_weather" },
      stream: true,
    });
    let deltas = "";
    let done: string | undefined;
    for await (const event of stream) {
      if (event.type === "response.function_call_arguments.delta") deltas += event.delta;
      if (event.type === "response.function_call_arguments.done") done = event.arguments;
    }
    expect(done).toBe(deltas);
    expect(JSON.parse(done ?? "")).toEqual({ city: expect.any(String) });
  });

  it("refuses previous_response_id with a 400 BadRequestError saying the gateway is stateless", async () => {
    const failure = await client.responses
      .create({ model: "mock-1", input: "And then?", previous_response_id: "resp_abc" })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect(failure).toMatchObject({
      status: 400,
      param: "previous_response_id",
      code: "operation_not_supported",
    });
    expect((failure as Error).message).toMatch(/stateless/);
  });

  it("refuses built-in tools with operation_not_supported", async () => {
    const failure = await client.responses
      .create({ model: "mock-1", input: "News?", tools: [{ type: "web_search" }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect(failure).toMatchObject({ param: "tools[0].type", code: "operation_not_supported" });
  });

  it("answers an unknown model with NotFoundError", async () => {
    const failure = await client.responses
      .create({ model: "no-such-model", input: "Hi" })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("serves a Claude model: a recorded Anthropic tool call comes back as a function_call item", async () => {
    anthropic.answer(async () => ({
      json: { status: 200, body: await recorded("message-weather-tool.json") },
    }));
    const response = await client.responses.create({
      model: "claude-haiku-4-5",
      input: "Weather in SF?",
      tools: [{ ...weatherTool, name: "weather" }],
    });
    expect(response.output).toEqual([
      {
        id: "fc_msg_01T8acYgh1ugip1ifUmT4MCU_0",
        type: "function_call",
        status: "completed",
        call_id: "toolu_01PQjhxo3eirCdKNvCJrKc8f",
        name: "weather",
        arguments: '{"location":"San Francisco"}',
      },
    ]);
    expect(response.usage).toMatchObject({ input_tokens: 843, output_tokens: 28 });
    expect(anthropic.requests.at(-1)?.body).toMatchObject({
      model: "claude-haiku-4-5",
      messages: [{ role: "user", content: [{ type: "text", text: "Weather in SF?" }] }],
      tools: [{ name: "weather" }],
    });
  });

  it("streams a Claude answer: recorded Anthropic events come back as Responses events", async () => {
    anthropic.answer(async () => ({
      stream: { events: (await recorded("stream-text.sse")).split(/(?<=\n\n)/) },
    }));
    const final = await client.responses
      .stream({ model: "claude-haiku-4-5", input: "How are you?" })
      .finalResponse();
    expect(final.output_text).toBe(
      "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?",
    );
    expect(final.status).toBe("completed");
    expect(final.usage).toMatchObject({ input_tokens: 12, output_tokens: 30, total_tokens: 42 });
  });
});
