import { chatCompletionRequestSchema, SwitchyardError } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { createAnthropicDialect } from "./anthropic-dialect.js";

const dialect = createAnthropicDialect();

describe("Anthropic request -> canonical", () => {
  it("maps a full agent turn: system blocks, images, documents, tool use and results, tools, settings", () => {
    const body = {
      model: "claude-sonnet-4-5",
      max_tokens: 1024,
      system: [
        { type: "text", text: "You are a coding agent.", cache_control: { type: "ephemeral" } },
        { type: "text", text: "Be brief." },
      ],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is in these?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBOR" } },
            { type: "image", source: { type: "url", url: "https://example.com/a.jpg" } },
            {
              type: "document",
              source: { type: "base64", media_type: "application/pdf", data: "JVBE" },
              title: "spec.pdf",
            },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "The user wants...", signature: "EqQB" },
            { type: "text", text: "Let me look." },
            { type: "tool_use", id: "toolu_01", name: "read_file", input: { path: "a.ts" } },
            { type: "tool_use", id: "toolu_02", name: "screenshot", input: {} },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_01", content: "export const a = 1;" },
            {
              type: "tool_result",
              tool_use_id: "toolu_02",
              is_error: true,
              content: [
                { type: "text", text: "partial capture" },
                { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/" } },
              ],
            },
            { type: "text", text: "Go on.", cache_control: { type: "ephemeral" } },
          ],
        },
      ],
      tools: [
        {
          name: "read_file",
          description: "Reads a file",
          input_schema: { type: "object", properties: { path: { type: "string" } } },
          cache_control: { type: "ephemeral" },
        },
        { name: "screenshot", input_schema: { type: "object" } },
        { type: "web_search_20250305", name: "web_search", max_uses: 3 },
      ],
      tool_choice: { type: "any", disable_parallel_tool_use: true },
      stop_sequences: ["\n\nHuman:"],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      metadata: { user_id: "user-7" },
      thinking: { type: "enabled", budget_tokens: 2048 },
      stream: true,
    };
    const canonical = dialect.toCanonical(body);
    expect(canonical).toEqual({
      model: "claude-sonnet-4-5",
      messages: [
        {
          role: "system",
          content: [
            { type: "text", text: "You are a coding agent." },
            { type: "text", text: "Be brief." },
          ],
        },
        {
          role: "user",
          content: [
            { type: "text", text: "What is in these?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBOR" } },
            { type: "image_url", image_url: { url: "https://example.com/a.jpg" } },
            { type: "file", file: { file_data: "data:application/pdf;base64,JVBE", filename: "spec.pdf" } },
          ],
        },
        {
          role: "assistant",
          content: "Let me look.",
          tool_calls: [
            {
              id: "toolu_01",
              type: "function",
              function: { name: "read_file", arguments: '{"path":"a.ts"}' },
            },
            { id: "toolu_02", type: "function", function: { name: "screenshot", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: "toolu_01", content: "export const a = 1;" },
        { role: "tool", tool_call_id: "toolu_02", content: "Error: partial capture" },
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/" } },
            { type: "text", text: "Go on." },
          ],
        },
      ],
      max_completion_tokens: 1024,
      stream: true,
      temperature: 0.2,
      top_p: 0.9,
      stop: ["\n\nHuman:"],
      user: "user-7",
      tools: [
        {
          type: "function",
          function: {
            name: "read_file",
            description: "Reads a file",
            parameters: { type: "object", properties: { path: { type: "string" } } },
          },
        },
        { type: "function", function: { name: "screenshot", parameters: { type: "object" } } },
      ],
      tool_choice: "required",
      parallel_tool_calls: false,
    });
    // Whatever the client sent, the canonical request is one every provider can take.
    expect(chatCompletionRequestSchema.safeParse(canonical).success).toBe(true);
    expect(dialect.isStream(body)).toBe(true);
  });

  it("maps string contents, a named tool choice and a tool-only assistant turn", () => {
    const canonical = dialect.toCanonical({
      model: "m",
      max_tokens: 10,
      system: "Be kind.",
      messages: [
        { role: "user", content: "Weather?" },
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "weather", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t1" }] },
      ],
      tools: [{ name: "weather", input_schema: { type: "object" } }],
      tool_choice: { type: "tool", name: "weather" },
    });
    expect(canonical).toMatchObject({
      messages: [
        { role: "system", content: "Be kind." },
        { role: "user", content: "Weather?" },
        { role: "assistant", content: null, tool_calls: [{ id: "t1", function: { arguments: "{}" } }] },
        { role: "tool", tool_call_id: "t1", content: "" },
      ],
      tool_choice: { type: "function", function: { name: "weather" } },
    });
    expect(canonical).not.toHaveProperty("stream");
    expect(canonical).not.toHaveProperty("parallel_tool_calls");
  });

  it("sends no tool_choice or tools when only server tools were given", () => {
    const canonical = dialect.toCanonical({
      model: "m",
      max_tokens: 10,
      messages: [{ role: "user", content: "Search." }],
      tools: [{ type: "web_search_20250305", name: "web_search" }],
      tool_choice: { type: "auto" },
    });
    expect(canonical).not.toHaveProperty("tools");
    expect(canonical).not.toHaveProperty("tool_choice");
  });

  it("accepts block types it does not convert (they are for the passthrough) and leaves them out", () => {
    const canonical = dialect.toCanonical({
      model: "m",
      max_tokens: 10,
      messages: [
        {
          role: "user",
          content: [
            { type: "search_result", source: "s", title: "t", content: [] },
            { type: "text", text: "Hi" },
          ],
        },
        { role: "assistant", content: [{ type: "redacted_thinking", data: "abc" }] },
      ],
    });
    expect(canonical).toMatchObject({
      messages: [
        { role: "user", content: [{ type: "text", text: "Hi" }] },
        { role: "assistant", content: "" },
      ],
    });
  });

  it.each([
    [{ max_tokens: 5, messages: [{ role: "user", content: "x" }] }, "model"],
    [{ model: "m", messages: [{ role: "user", content: "x" }] }, "max_tokens"],
    [{ model: "m", max_tokens: 5, messages: [] }, "messages"],
    [{ model: "m", max_tokens: 5, messages: [{ role: "system", content: "x" }] }, "messages.0.role"],
    [
      { model: "m", max_tokens: 5, messages: [{ role: "user", content: [{ type: "text" }] }] },
      "messages.0.content.0.text",
    ],
    [
      { model: "m", max_tokens: 5, messages: [{ role: "user", content: [{ type: "tool_result" }] }] },
      "messages.0.content.0.tool_use_id",
    ],
    [
      { model: "m", max_tokens: 5, temperature: 1.5, messages: [{ role: "user", content: "x" }] },
      "temperature",
    ],
  ])("refuses a malformed body with a 400 naming the field (%#)", (body, param) => {
    let caught: unknown;
    try {
      dialect.toCanonical(body);
    } catch (error) {
      caught = error;
    }
    expect(SwitchyardError.is(caught)).toBe(true);
    expect(caught).toMatchObject({ code: "SWY_ERR_REQUEST_INVALID", status: 400, param });
    expect((caught as Error).message).toContain(param);
  });

  it("refuses a body that is not an object", () => {
    expect(() => dialect.toCanonical([])).toThrow(/JSON object/);
  });
});
