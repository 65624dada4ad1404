import type { ChatCompletionResponse } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { convertToMessagesResponse } from "./convert-to-messages-response.js";
import { mapStopReason } from "./map-stop-reason.js";

const completion = (
  message: Record<string, unknown>,
  finishReason: string,
  usage?: ChatCompletionResponse["usage"],
): ChatCompletionResponse =>
  ({
    id: "chatcmpl-9",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "gpt-4o-2024-08-06",
    choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finishReason }],
    ...(usage ? { usage } : {}),
  }) as ChatCompletionResponse;

describe("canonical response -> Anthropic message", () => {
  it("turns text and tool calls into blocks, with stop reason and usage (cache reads apart)", () => {
    const message = convertToMessagesResponse(
      completion(
        {
          content: "Checking.",
          tool_calls: [
            {
              id: "call_1",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
            },
            { id: "call_2", type: "function", function: { name: "get_time", arguments: "" } },
          ],
        },
        "tool_calls",
        {
          prompt_tokens: 120,
          completion_tokens: 30,
          total_tokens: 150,
          prompt_tokens_details: { cached_tokens: 100 },
        },
      ),
    );
    expect(message).toEqual({
      id: "chatcmpl-9",
      type: "message",
      role: "assistant",
      model: "gpt-4o-2024-08-06",
      content: [
        { type: "text", text: "Checking." },
        { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Oslo" } },
        { type: "tool_use", id: "call_2", name: "get_time", input: {} },
      ],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 20, output_tokens: 30, cache_read_input_tokens: 100 },
    });
  });

  it("answers an empty message with no blocks and zero usage when none was reported", () => {
    expect(convertToMessagesResponse(completion({ content: null }, "length"))).toMatchObject({
      content: [],
      stop_reason: "max_tokens",
      usage: { input_tokens: 0, output_tokens: 0 },
    });
  });

  it("reports a refusal as text with stop_reason refusal", () => {
    expect(
      convertToMessagesResponse(completion({ content: null, refusal: "I can't help with that." }, "stop")),
    ).toMatchObject({ content: [{ type: "text", text: "I can't help with that." }], stop_reason: "refusal" });
  });

  it("gives malformed or non-object arguments as an empty input (Anthropic's input is an object)", () => {
    const message = convertToMessagesResponse(
      completion(
        {
          content: null,
          tool_calls: [
            { id: "a", type: "function", function: { name: "f", arguments: '{"cut' } },
            { id: "b", type: "function", function: { name: "g", arguments: "[1,2]" } },
          ],
        },
        "tool_calls",
      ),
    );
    expect(message.content).toEqual([
      { type: "tool_use", id: "a", name: "f", input: {} },
      { type: "tool_use", id: "b", name: "g", input: {} },
    ]);
  });

  it.each([
    ["stop", "end_turn"],
    ["length", "max_tokens"],
    ["tool_calls", "tool_use"],
    ["function_call", "tool_use"],
    ["content_filter", "refusal"],
    [null, "end_turn"],
    ["something_new", "end_turn"],
  ])("maps finish_reason %s to stop_reason %s", (finishReason, stopReason) => {
    expect(mapStopReason(finishReason)).toBe(stopReason);
  });
});
