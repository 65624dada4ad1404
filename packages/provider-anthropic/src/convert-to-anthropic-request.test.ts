import { chatCompletionRequestSchema, SwitchyardError } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { anthropicMessagesRequestSchema } from "./anthropic-api.js";
import { convertToAnthropicRequest } from "./convert-to-anthropic-request.js";

// Requests go through the canonical schema first, so the input is exactly what the gateway hands over.
const convert = (request: Record<string, unknown>, defaultMaxTokens = 4096) => {
  const canonical = chatCompletionRequestSchema.parse({ model: "claude-sonnet-4-5", ...request });
  const converted = convertToAnthropicRequest(canonical, { model: "claude-sonnet-4-5", defaultMaxTokens });
  // Whatever the conversion produces must be a body the API accepts.
  anthropicMessagesRequestSchema.parse(converted.body);
  return converted;
};
const body = (request: Record<string, unknown>, defaultMaxTokens?: number) =>
  JSON.parse(JSON.stringify(convert(request, defaultMaxTokens).body));
const refusal = (request: Record<string, unknown>) => {
  try {
    convert(request);
  } catch (error) {
    expect(SwitchyardError.is(error)).toBe(true);
    return error as SwitchyardError;
  }
  throw new Error("the request was not refused");
};

const weatherTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    strict: true,
  },
};
const pixel =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

describe("convertToAnthropicRequest", () => {
  it("translates a whole tool-using conversation into alternating Anthropic turns", () => {
    expect(
      body({
        messages: [
          { role: "system", content: "You are terse." },
          { role: "user", content: "Weather in Paris and Oslo? Here is a map." },
          { role: "developer", content: [{ type: "text", text: "Use metric units." }] },
          {
            role: "assistant",
            content: "Checking both.",
            tool_calls: [
              {
                id: "call_1",
                type: "function",
                function: { name: "get_weather", arguments: '{"city":"Paris"}' },
              },
              {
                id: "call:2",
                type: "function",
                function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
              },
            ],
          },
          { role: "tool", tool_call_id: "call_1", content: "18C" },
          { role: "tool", tool_call_id: "call:2", content: [{ type: "text", text: "9C" }] },
          {
            role: "user",
            content: [
              { type: "text", text: "And this one?" },
              { type: "image_url", image_url: { url: "https://example.com/map.png", detail: "high" } },
              { type: "image_url", image_url: { url: `data:image/png;base64,${pixel}` } },
            ],
          },
        ],
        tools: [weatherTool],
        max_tokens: 300,
      }),
    ).toEqual({
      model: "claude-sonnet-4-5",
      max_tokens: 300,
      system: [
        { type: "text", text: "You are terse." },
        { type: "text", text: "Use metric units." },
      ],
      messages: [
        { role: "user", content: [{ type: "text", text: "Weather in Paris and Oslo? Here is a map." }] },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Checking both." },
            { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
            { type: "tool_use", id: "call_2", name: "get_weather", input: { city: "Oslo" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "call_1", content: [{ type: "text", text: "18C" }] },
            { type: "tool_result", tool_use_id: "call_2", content: [{ type: "text", text: "9C" }] },
            { type: "text", text: "And this one?" },
            { type: "image", source: { type: "url", url: "https://example.com/map.png" } },
            { type: "image", source: { type: "base64", media_type: "image/png", data: pixel } },
          ],
        },
      ],
      tools: [
        {
          name: "get_weather",
          description: "Current weather",
          input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      ],
    });
  });

  it("always sets max_tokens: max_completion_tokens, then max_tokens, then the default", () => {
    const messages = [{ role: "user", content: "Hi" }];
    expect(body({ messages }, 1234).max_tokens).toBe(1234);
    expect(body({ messages, max_tokens: 50 }).max_tokens).toBe(50);
    expect(body({ messages, max_tokens: 50, max_completion_tokens: 70 }).max_tokens).toBe(70);
  });

  it("maps stop, temperature (clamped to 1), top_p, top_k, user and stream", () => {
    expect(
      body({
        messages: [{ role: "user", content: "Hi" }],
        stop: "END",
        temperature: 1.6,
        top_p: 0.9,
        top_k: 40,
        user: "user-42",
        stream: true,
        stream_options: { include_usage: true },
      }),
    ).toEqual({
      model: "claude-sonnet-4-5",
      max_tokens: 4096,
      messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }],
      stop_sequences: ["END"],
      temperature: 1,
      top_p: 0.9,
      top_k: 40,
      metadata: { user_id: "user-42" },
      stream: true,
    });
    expect(
      body({ messages: [{ role: "user", content: "Hi" }], temperature: 0.7, stop: ["a", "b"] }),
    ).toMatchObject({
      temperature: 0.7,
      stop_sequences: ["a", "b"],
    });
  });

  it("lets no OpenAI-only field through", () => {
    const sent = body({
      messages: [{ role: "user", content: "Hi" }],
      seed: 7,
      presence_penalty: 0.5,
      frequency_penalty: 0.5,
      n: 1,
      store: true,
      metadata: { team: "a" },
      service_tier: "auto",
      parallel_tool_calls: true,
      prediction: { type: "content", content: "x" },
      some_future_field: { a: 1 },
      stream: false,
    });
    expect(Object.keys(sent).sort()).toEqual(["max_tokens", "messages", "model"]);
  });

  it.each([
    ["n", { n: 2 }],
    ["logprobs", { logprobs: true }],
    ["top_logprobs", { top_logprobs: 3 }],
    ["logit_bias", { logit_bias: { "50256": -100 } }],
    ["audio", { audio: { voice: "alloy", format: "wav" } }],
    ["modalities", { modalities: ["text", "audio"] }],
    ["functions", { functions: [{ name: "f" }] }],
    ["reasoning_effort", { reasoning_effort: "high" }],
  ])("refuses %s, naming the field", (field, extra) => {
    const error = refusal({ messages: [{ role: "user", content: "Hi" }], ...extra });
    expect(error.code).toBe("SWY_ERR_ROUTE_OPERATION_UNSUPPORTED");
    expect(error.param).toBe(field);
  });

  it("refuses audio input and files by id, and malformed tool arguments", () => {
    const audio = refusal({
      messages: [
        { role: "user", content: [{ type: "input_audio", input_audio: { data: "AAAA", format: "wav" } }] },
      ],
    });
    expect(audio.param).toBe("messages[0].content[0]");
    const file = refusal({
      messages: [{ role: "user", content: [{ type: "file", file: { file_id: "file-1" } }] }],
    });
    expect(file.param).toBe("messages[0].content[0].file");
    const args = refusal({
      messages: [
        { role: "user", content: "Hi" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{not json" } }],
        },
      ],
    });
    expect(args).toMatchObject({
      code: "SWY_ERR_REQUEST_INVALID",
      param: "messages[1].tool_calls[0].function.arguments",
    });
  });

  it("sends a PDF file as a document block and carries cache_control breakpoints", () => {
    const sent = body({
      messages: [
        {
          role: "system",
          content: [{ type: "text", text: "Long rules", cache_control: { type: "ephemeral" } }],
        },
        {
          role: "user",
          content: [
            { type: "file", file: { filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0x" } },
            { type: "text", text: "Summarise", cache_control: { type: "ephemeral", ttl: "1h" } },
          ],
        },
      ],
    });
    expect(sent.system).toEqual([{ type: "text", text: "Long rules", cache_control: { type: "ephemeral" } }]);
    expect(sent.messages[0].content).toEqual([
      {
        type: "document",
        source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" },
        title: "a.pdf",
      },
      { type: "text", text: "Summarise", cache_control: { type: "ephemeral", ttl: "1h" } },
    ]);
  });

  it("skips empty text and gives a call without arguments an empty input", () => {
    const sent = body({
      messages: [
        { role: "user", content: "Go" },
        {
          role: "assistant",
          content: "",
          tool_calls: [{ id: "c1", type: "function", function: { name: "ping", arguments: "" } }],
        },
        { role: "tool", tool_call_id: "c1", content: "" },
      ],
      tools: [{ type: "function", function: { name: "ping" } }],
    });
    expect(sent.messages.slice(1)).toEqual([
      { role: "assistant", content: [{ type: "tool_use", id: "c1", name: "ping", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "c1" }] },
    ]);
    expect(sent.tools).toEqual([{ name: "ping", input_schema: { type: "object", properties: {} } }]);
  });

  it.each([
    [undefined, false, undefined],
    ["auto", false, { type: "auto" }],
    [undefined, true, { type: "auto", disable_parallel_tool_use: true }],
    ["required", false, { type: "any" }],
    ["required", true, { type: "any", disable_parallel_tool_use: true }],
    ["none", false, { type: "none" }],
    [{ type: "function", function: { name: "get_weather" } }, false, { type: "tool", name: "get_weather" }],
  ])("maps tool_choice %j (parallel off: %s) to %j", (choice, noParallel, expected) => {
    const sent = body({
      messages: [{ role: "user", content: "Hi" }],
      tools: [weatherTool],
      ...(choice === undefined ? {} : { tool_choice: choice }),
      ...(noParallel ? { parallel_tool_calls: false } : {}),
    });
    expect(sent.tool_choice).toEqual(expected);
  });

  it("carries a json_schema response format as a forced tool", () => {
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
    const converted = convert({
      messages: [{ role: "user", content: "Pick a city" }],
      response_format: { type: "json_schema", json_schema: { name: "city_pick", schema, strict: true } },
    });
    expect(converted.responseTool).toBe("city_pick");
    expect(JSON.parse(JSON.stringify(converted.body))).toMatchObject({
      tools: [
        {
          name: "city_pick",
          description: "Give the answer as a JSON object that matches the 'city_pick' schema.",
          input_schema: schema,
        },
      ],
      tool_choice: { type: "tool", name: "city_pick", disable_parallel_tool_use: true },
    });
  });

  it("makes the schema name a valid tool name", () => {
    const converted = convert({
      messages: [{ role: "user", content: "Hi" }],
      response_format: {
        type: "json_schema",
        json_schema: { name: "weather report.v2", schema: { type: "object" } },
      },
    });
    expect(converted.responseTool).toBe("weather_report_v2");
    expect(converted.body.tool_choice).toMatchObject({ name: "weather_report_v2" });
  });

  it("offers the JSON tool next to the client's tools and makes the model call one of them", () => {
    const converted = convert({
      messages: [{ role: "user", content: "Hi" }],
      tools: [weatherTool],
      response_format: { type: "json_object" },
    });
    expect(converted.responseTool).toBe("json_response");
    expect(converted.body.tools?.map((tool) => tool.name)).toEqual(["get_weather", "json_response"]);
    expect(converted.body.tools?.[1]?.input_schema).toEqual({ type: "object" });
    expect(converted.body.tool_choice).toEqual({ type: "any" });
    const text = convert({ messages: [{ role: "user", content: "Hi" }], response_format: { type: "text" } });
    expect(text.responseTool).toBeUndefined();
    expect(text.body.tools).toBeUndefined();
  });

  it("refuses a JSON response format that cannot be a tool", () => {
    const array = refusal({
      messages: [{ role: "user", content: "Hi" }],
      response_format: { type: "json_schema", json_schema: { name: "list", schema: { type: "array" } } },
    });
    expect(array.param).toBe("response_format.json_schema.schema");
    const none = refusal({
      messages: [{ role: "user", content: "Hi" }],
      tools: [weatherTool],
      tool_choice: "none",
      response_format: { type: "json_object" },
    });
    expect(none.param).toBe("tool_choice");
  });

  it("refuses a conversation with nothing but system messages", () => {
    expect(refusal({ messages: [{ role: "system", content: "Rules" }] })).toMatchObject({
      code: "SWY_ERR_REQUEST_INVALID",
      param: "messages",
    });
  });
});
