import { chatCompletionRequestSchema, SwitchyardError } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { createResponsesDialect } from "./responses-dialect.js";

const dialect = createResponsesDialect();

function refusal(body: unknown): SwitchyardError {
  try {
    dialect.toCanonical(body);
  } catch (error) {
    if (SwitchyardError.is(error)) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("Responses request -> canonical", () => {
  it("maps instructions, a multi-turn input with function calls and outputs, tools and settings", () => {
    const body = {
      model: "gpt-4.1",
      instructions: "You are a travel agent.",
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "Is it raining in Oslo? Here is the station." },
            { type: "input_image", image_url: "https://example.com/oslo.jpg", detail: "low" },
            { type: "input_file", file_data: "data:application/pdf;base64,JVBE", filename: "ticket.pdf" },
          ],
        },
        { type: "reasoning", id: "rs_1", summary: [], encrypted_content: "gAAA" },
        {
          type: "message",
          role: "assistant",
          id: "msg_1",
          status: "completed",
          content: [{ type: "output_text", text: "Let me check.", annotations: [] }],
        },
        {
          type: "function_call",
          id: "fc_1",
          call_id: "call_a",
          name: "get_weather",
          arguments: '{"city":"Oslo"}',
        },
        { type: "function_call", id: "fc_2", call_id: "call_b", name: "get_time", arguments: "{}" },
        { type: "function_call_output", call_id: "call_a", output: "rain" },
        {
          type: "function_call_output",
          call_id: "call_b",
          output: [
            { type: "input_text", text: "14:05" },
            { type: "input_image", image_url: "data:image/png;base64,iVBOR", detail: "original" },
          ],
        },
        { role: "user", content: "Thanks!" },
      ],
      tools: [
        {
          type: "function",
          name: "get_weather",
          description: "Weather in a city",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
          strict: true,
        },
        { type: "function", name: "get_time", parameters: null, strict: null },
      ],
      tool_choice: "auto",
      parallel_tool_calls: false,
      text: {
        format: { type: "json_schema", name: "answer", schema: { type: "object" }, strict: true },
        verbosity: "low",
      },
      reasoning: { effort: "low", summary: "auto" },
      max_output_tokens: 500,
      temperature: 0.3,
      top_p: 0.8,
      store: true,
      include: ["reasoning.encrypted_content"],
      truncation: "auto",
      metadata: { trip: "7" },
      user: "u-1",
      prompt_cache_key: "travel",
      stream: true,
    };
    const canonical = dialect.toCanonical(body);
    expect(canonical).toEqual({
      model: "gpt-4.1",
      messages: [
        { role: "system", content: "You are a travel agent." },
        {
          role: "user",
          content: [
            { type: "text", text: "Is it raining in Oslo? Here is the station." },
            { type: "image_url", image_url: { url: "https://example.com/oslo.jpg", detail: "low" } },
            { type: "file", file: { file_data: "data:application/pdf;base64,JVBE", filename: "ticket.pdf" } },
          ],
        },
        {
          role: "assistant",
          content: "Let me check.",
          tool_calls: [
            {
              id: "call_a",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
            },
            { id: "call_b", type: "function", function: { name: "get_time", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: "call_a", content: "rain" },
        { role: "tool", tool_call_id: "call_b", content: "14:05" },
        { role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,iVBOR" } }] },
        { role: "user", content: "Thanks!" },
      ],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Weather in a city",
            parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
            strict: true,
          },
        },
        { type: "function", function: { name: "get_time" } },
      ],
      tool_choice: "auto",
      parallel_tool_calls: false,
      response_format: {
        type: "json_schema",
        json_schema: { name: "answer", schema: { type: "object" }, strict: true },
      },
      max_completion_tokens: 500,
      temperature: 0.3,
      top_p: 0.8,
      stream: true,
      reasoning_effort: "low",
      verbosity: "low",
      user: "u-1",
      prompt_cache_key: "travel",
    });
    expect(chatCompletionRequestSchema.safeParse(canonical).success).toBe(true);
    expect(dialect.isStream(body)).toBe(true);
  });

  it("takes a string input, a named function choice, and a function call with no message before it", () => {
    expect(
      dialect.toCanonical({
        model: "m",
        input: "Hi",
        tools: [{ type: "function", name: "f", parameters: { type: "object" } }],
        tool_choice: { type: "function", name: "f" },
        text: { format: { type: "json_object" } },
      }),
    ).toMatchObject({
      messages: [{ role: "user", content: "Hi" }],
      tool_choice: { type: "function", function: { name: "f" } },
      response_format: { type: "json_object" },
    });
    expect(
      dialect.toCanonical({
        model: "m",
        input: [
          { role: "user", content: "Go" },
          { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
          { type: "function_call_output", call_id: "c1", output: "done" },
        ],
      }).messages,
    ).toEqual([
      { role: "user", content: "Go" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c1", content: "done" },
    ]);
  });

  it("narrows the tools to allowed_tools and keeps its mode", () => {
    const canonical = dialect.toCanonical({
      model: "m",
      input: "Hi",
      tools: [
        { type: "function", name: "a" },
        { type: "function", name: "b" },
      ],
      tool_choice: { type: "allowed_tools", mode: "required", tools: [{ type: "function", name: "b" }] },
    });
    expect(canonical).toMatchObject({ tools: [{ function: { name: "b" } }], tool_choice: "required" });
    expect((canonical as { tools: unknown[] }).tools).toHaveLength(1);
  });

  it("refuses previous_response_id with a 400 that says the gateway is stateless", () => {
    const error = refusal({ model: "m", input: "Hi", previous_response_id: "resp_123" });
    expect(error.status).toBe(400);
    expect(error.param).toBe("previous_response_id");
    expect(error.message).toMatch(/stateless/);
    expect(error.toBody().error.code).toBe("operation_not_supported");
  });

  it.each([
    [{ model: "m", input: "Hi", conversation: "conv_1" }, "conversation"],
    [{ model: "m", input: "Hi", background: true }, "background"],
    [{ model: "m", prompt: { id: "pmpt_1" } }, "prompt"],
    [{ model: "m", input: [{ type: "item_reference", id: "msg_1" }] }, "input[0].type"],
    [{ model: "m", input: [{ type: "web_search_call", id: "ws_1" }] }, "input[0].type"],
    [{ model: "m", input: "Hi", tools: [{ type: "web_search" }] }, "tools[0].type"],
    [
      {
        model: "m",
        input: "Hi",
        tools: [{ type: "function", name: "f" }],
        tool_choice: { type: "file_search" },
      },
      "tool_choice",
    ],
    [
      {
        model: "m",
        input: [{ role: "user", content: [{ type: "input_image", file_id: "file_1", detail: "auto" }] }],
      },
      "input[0].content[0].file_id",
    ],
  ])("refuses what only OpenAI's servers can do with operation_not_supported (%#)", (body, param) => {
    const error = refusal(body);
    expect(error).toMatchObject({ code: "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED", status: 400, param });
  });

  it.each([
    [{ input: "Hi" }, "model"],
    [{ model: "m" }, "input"],
    [{ model: "m", instructions: "Only this." }, "input"],
    [
      { model: "m", input: [{ role: "user", content: [{ type: "input_text" }] }] },
      "input[0].content[0].text",
    ],
    [{ model: "m", input: [{ type: "function_call", name: "f", arguments: "{}" }] }, "input[0].call_id"],
    [{ model: "m", input: "Hi", tools: [{ type: "function" }] }, "tools[0].name"],
    [{ model: "m", input: "Hi", temperature: 3 }, "temperature"],
    [
      {
        model: "m",
        input: [{ role: "system", content: [{ type: "input_image", image_url: "https://x/y.png" }] }],
      },
      "input[0].content[0]",
    ],
  ])("refuses a malformed body with a 400 naming the field (%#)", (body, param) => {
    const error = refusal(body);
    expect(error).toMatchObject({ code: "SWY_ERR_REQUEST_INVALID", status: 400, param });
    expect(error.message).toContain(param);
  });
});
