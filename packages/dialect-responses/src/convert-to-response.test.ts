import type { ChatCompletionResponse } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { convertToResponse } from "./convert-to-response.js";

const completion = (message: Record<string, unknown>, finishReason: string): ChatCompletionResponse =>
  ({
    id: "chatcmpl-5",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "gpt-4.1-2025-04-14",
    choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finishReason }],
    usage: {
      prompt_tokens: 90,
      completion_tokens: 20,
      total_tokens: 110,
      prompt_tokens_details: { cached_tokens: 64 },
      completion_tokens_details: { reasoning_tokens: 5 },
    },
  }) as ChatCompletionResponse;

describe("canonical response -> Responses API response", () => {
  it("gives the message then the function calls as output items, usage, and the request's settings", () => {
    const request = {
      model: "travel",
      instructions: "Be brief.",
      input: "Weather in Oslo?",
      tools: [{ type: "function", name: "get_weather", parameters: { type: "object" } }],
      temperature: 0.5,
      max_output_tokens: 300,
      metadata: { trip: "7" },
    };
    const response = convertToResponse(
      completion(
        {
          content: "Checking.",
          tool_calls: [
            {
              id: "call_9",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
            },
          ],
        },
        "tool_calls",
      ),
      request,
      "req-1",
    );
    expect(response).toEqual({
      id: "resp_chatcmpl-5",
      object: "response",
      created_at: 1_700_000_000,
      status: "completed",
      background: false,
      error: null,
      incomplete_details: null,
      instructions: "Be brief.",
      max_output_tokens: 300,
      model: "gpt-4.1-2025-04-14",
      output: [
        {
          id: "msg_chatcmpl-5",
          type: "message",
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text: "Checking.", annotations: [], logprobs: [] }],
        },
        {
          id: "fc_chatcmpl-5_0",
          type: "function_call",
          status: "completed",
          call_id: "call_9",
          name: "get_weather",
          arguments: '{"city":"Oslo"}',
        },
      ],
      parallel_tool_calls: true,
      previous_response_id: null,
      reasoning: { effort: null, summary: null },
      store: false,
      temperature: 0.5,
      text: { format: { type: "text" } },
      tool_choice: "auto",
      tools: [{ type: "function", name: "get_weather", parameters: { type: "object" } }],
      top_p: null,
      truncation: "disabled",
      usage: {
        input_tokens: 90,
        input_tokens_details: { cached_tokens: 64 },
        output_tokens: 20,
        output_tokens_details: { reasoning_tokens: 5 },
        total_tokens: 110,
      },
      user: null,
      metadata: { trip: "7" },
    });
  });

  it("is incomplete when cut by max tokens or a content filter", () => {
    const cut = convertToResponse(completion({ content: "Once upon" }, "length"), {}, "req-1");
    expect(cut).toMatchObject({
      status: "incomplete",
      incomplete_details: { reason: "max_output_tokens" },
      output: [{ type: "message", status: "incomplete" }],
    });
    expect(convertToResponse(completion({ content: "" }, "content_filter"), {}, "r")).toMatchObject({
      status: "incomplete",
      incomplete_details: { reason: "content_filter" },
      output: [],
    });
  });

  it("answers a refusal as a refusal part, and takes the request id when the upstream sent no id", () => {
    const response = convertToResponse(
      { ...completion({ content: null, refusal: "I can't." }, "stop"), id: "" },
      undefined,
      "req-42",
    );
    expect(response.id).toBe("resp_req-42");
    expect(response.output).toEqual([
      {
        id: "msg_req-42",
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "refusal", refusal: "I can't." }],
      },
    ]);
  });
});
