import { type ChatCompletionChunk, SseReader, SwitchyardError } from "@switchyard/core";
import { accumulateResponse } from "openai/lib/responses/ResponseAccumulator";
import type { Response, ResponseStreamEvent } from "openai/resources/responses/responses";
import { describe, expect, it } from "vitest";
import { createResponsesStreamEncoder, type ResponsesStreamFacts } from "./responses-stream-encoder.js";

type Delta = ChatCompletionChunk["choices"][number]["delta"];
const chunk = (delta: Delta, finishReason: string | null = null): ChatCompletionChunk =>
  ({
    id: "chatcmpl-3",
    object: "chat.completion.chunk",
    created: 1_700_000_001,
    model: "gpt-4.1",
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  }) as ChatCompletionChunk;
const usageChunk: ChatCompletionChunk = {
  id: "chatcmpl-3",
  object: "chat.completion.chunk",
  created: 1_700_000_001,
  model: "gpt-4.1",
  choices: [],
  usage: { prompt_tokens: 30, completion_tokens: 9, total_tokens: 39 },
};
const facts: ResponsesStreamFacts = {
  request: { model: "travel", input: "Hi" },
  fallbackId: "req-1",
  model: "travel",
};

function encode(chunks: ChatCompletionChunk[]): string {
  const encoder = createResponsesStreamEncoder(facts);
  return chunks.map((each) => encoder.chunk(each) ?? "").join("") + encoder.end();
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary event JSON
function events(text: string): any[] {
  const parsed = new SseReader().push(text);
  for (const event of parsed) expect(event.event).toBe(JSON.parse(event.data).type);
  return parsed.map((event) => JSON.parse(event.data));
}

const textThenTool = [
  chunk({ role: "assistant", content: "" }),
  chunk({ content: "Let me" }),
  chunk({ content: " check." }),
  chunk({
    tool_calls: [
      { index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: "" } },
    ],
  }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }),
  chunk({}, "tool_calls"),
  usageChunk,
];

describe("the Responses stream encoder", () => {
  it("writes the event sequence of a text then a function call, numbered from 0", () => {
    const out = events(encode(textThenTool));
    expect(out.map((event) => event.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(out.map((event) => event.sequence_number)).toEqual(out.map((_event, index) => index));
    expect(out[0].response).toMatchObject({
      id: "resp_chatcmpl-3",
      object: "response",
      status: "in_progress",
      model: "gpt-4.1",
      output: [],
      usage: null,
    });
    expect(out[2]).toEqual({
      type: "response.output_item.added",
      output_index: 0,
      item: { id: "msg_chatcmpl-3", type: "message", status: "in_progress", role: "assistant", content: [] },
      sequence_number: 2,
    });
    expect(out[3]).toEqual({
      type: "response.content_part.added",
      item_id: "msg_chatcmpl-3",
      output_index: 0,
      content_index: 0,
      part: { type: "output_text", text: "", annotations: [], logprobs: [] },
      sequence_number: 3,
    });
    expect(out[4]).toEqual({
      type: "response.output_text.delta",
      item_id: "msg_chatcmpl-3",
      output_index: 0,
      content_index: 0,
      delta: "Let me",
      logprobs: [],
      sequence_number: 4,
    });
    expect(out[6]).toMatchObject({ type: "response.output_text.done", text: "Let me check." });
    expect(out[9]).toEqual({
      type: "response.output_item.added",
      output_index: 1,
      item: {
        id: "fc_chatcmpl-3_0",
        type: "function_call",
        status: "in_progress",
        call_id: "call_1",
        name: "get_weather",
        arguments: "",
      },
      sequence_number: 9,
    });
    expect(out[10]).toEqual({
      type: "response.function_call_arguments.delta",
      item_id: "fc_chatcmpl-3_0",
      output_index: 1,
      delta: '{"city":',
      sequence_number: 10,
    });
    expect(out[12]).toEqual({
      type: "response.function_call_arguments.done",
      item_id: "fc_chatcmpl-3_0",
      output_index: 1,
      name: "get_weather",
      arguments: '{"city":"Oslo"}',
      sequence_number: 12,
    });
    expect(out[14].response).toMatchObject({
      status: "completed",
      output: [
        { type: "message", status: "completed", content: [{ type: "output_text", text: "Let me check." }] },
        { type: "function_call", status: "completed", call_id: "call_1", arguments: '{"city":"Oslo"}' },
      ],
      usage: {
        input_tokens: 30,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 9,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 39,
      },
    });
  });

  it("is consistent with the openai SDK's own accumulator: its snapshot equals the completed response", () => {
    const out = events(encode(textThenTool)) as ResponseStreamEvent[];
    let snapshot: Response | undefined;
    for (const event of out) snapshot = accumulateResponse(event, snapshot);
    const completed = out.at(-1) as Extract<ResponseStreamEvent, { type: "response.completed" }>;
    expect(snapshot?.output).toEqual(completed.response.output);
    expect(snapshot?.output_text).toBe("Let me check.");
  });

  it("keeps parallel calls open until the choice finishes, so interleaved arguments stay in order", () => {
    const out = events(
      encode([
        chunk({
          tool_calls: [{ index: 0, id: "a", type: "function", function: { name: "f", arguments: '{"x":' } }],
        }),
        chunk({
          tool_calls: [{ index: 1, id: "b", type: "function", function: { name: "g", arguments: '{"y":' } }],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: "1}" } }] }),
        chunk({ tool_calls: [{ index: 1, function: { arguments: "2}" } }] }),
        chunk({}, "tool_calls"),
      ]),
    );
    const done = out.filter((event) => event.type === "response.function_call_arguments.done");
    expect(done.map((event) => [event.output_index, event.arguments])).toEqual([
      [0, '{"x":1}'],
      [1, '{"y":2}'],
    ]);
    expect(out.at(-1).response.usage).toBeNull();
  });

  it("ends with response.incomplete when the answer was cut at max_output_tokens", () => {
    const out = events(encode([chunk({ content: "Once" }), chunk({}, "length"), usageChunk]));
    expect(out.at(-1)).toMatchObject({
      type: "response.incomplete",
      response: {
        status: "incomplete",
        incomplete_details: { reason: "max_output_tokens" },
        output: [{ type: "message", status: "incomplete" }],
      },
    });
  });

  it("still writes a whole response when the upstream sent no chunk", () => {
    const out = events(encode([]));
    expect(out.map((event) => event.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.completed",
    ]);
    expect(out[0].response).toMatchObject({ id: "resp_req-1", model: "travel" });
  });

  it("writes a failure as an error event and response.failed with the output so far", () => {
    const encoder = createResponsesStreamEncoder(facts);
    encoder.chunk(chunk({ content: "Hal" }));
    const out = events(
      encoder.error(
        new SwitchyardError("SWY_ERR_UPSTREAM_STREAM_CUT", "The provider's stream was interrupted."),
      ),
    );
    expect(out).toEqual([
      {
        type: "error",
        code: "upstream_stream_interrupted",
        message: "The provider's stream was interrupted.",
        param: null,
        sequence_number: 5,
      },
      expect.objectContaining({
        type: "response.failed",
        sequence_number: 6,
        response: expect.objectContaining({
          status: "failed",
          error: { code: "server_error", message: "The provider's stream was interrupted." },
          output: [expect.objectContaining({ content: [expect.objectContaining({ text: "Hal" })] })],
        }),
      }),
    ]);
  });
});
