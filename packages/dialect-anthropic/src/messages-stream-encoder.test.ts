import { readFile } from "node:fs/promises";
import { type ChatCompletionChunk, SseReader, SwitchyardError } from "@switchyard/core";
import { createAnthropicStreamTranslator } from "@switchyard/provider-anthropic";
import { describe, expect, it } from "vitest";
import { createMessagesStreamEncoder, type MessagesStreamFacts } from "./messages-stream-encoder.js";

const facts: MessagesStreamFacts = { requestId: "req-1", model: "alias", estimatedInputTokens: 42 };

type Delta = ChatCompletionChunk["choices"][number]["delta"];
const chunk = (delta: Delta, finishReason: string | null = null): ChatCompletionChunk =>
  ({
    id: "chatcmpl-7",
    object: "chat.completion.chunk",
    created: 1,
    model: "gpt-4o",
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  }) as ChatCompletionChunk;
const usageChunk = (usage: ChatCompletionChunk["usage"]): ChatCompletionChunk => ({
  id: "chatcmpl-7",
  object: "chat.completion.chunk",
  created: 1,
  model: "gpt-4o",
  choices: [],
  usage,
});

function encode(chunks: ChatCompletionChunk[], streamFacts = facts): string {
  const encoder = createMessagesStreamEncoder(streamFacts);
  return chunks.map((each) => encoder.chunk(each) ?? "").join("") + encoder.end();
}

const sse = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;

describe("the Anthropic stream encoder", () => {
  it("writes text then a tool call as Anthropic's event sequence, with usage at the end", () => {
    const text = encode([
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
      usageChunk({
        prompt_tokens: 50,
        completion_tokens: 12,
        total_tokens: 62,
        prompt_tokens_details: { cached_tokens: 8 },
      }),
    ]);
    expect(text).toBe(
      [
        sse("message_start", {
          type: "message_start",
          message: {
            id: "chatcmpl-7",
            type: "message",
            role: "assistant",
            model: "gpt-4o",
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 42, output_tokens: 0 },
          },
        }),
        sse("content_block_start", {
          type: "content_block_start",
          index: 0,
          content_block: { type: "text", text: "" },
        }),
        sse("content_block_delta", {
          type: "content_block_delta",
          index: 0,
          delta: { type: "text_delta", text: "Let me" },
        }),
        sse("content_block_delta", {
          type: "content_block_delta",
          index: 0,
          delta: { type: "text_delta", text: " check." },
        }),
        sse("content_block_stop", { type: "content_block_stop", index: 0 }),
        sse("content_block_start", {
          type: "content_block_start",
          index: 1,
          content_block: { type: "tool_use", id: "call_1", name: "get_weather", input: {} },
        }),
        sse("content_block_delta", {
          type: "content_block_delta",
          index: 1,
          delta: { type: "input_json_delta", partial_json: '{"city":' },
        }),
        sse("content_block_delta", {
          type: "content_block_delta",
          index: 1,
          delta: { type: "input_json_delta", partial_json: '"Oslo"}' },
        }),
        sse("content_block_stop", { type: "content_block_stop", index: 1 }),
        sse("message_delta", {
          type: "message_delta",
          delta: { stop_reason: "tool_use", stop_sequence: null },
          usage: { input_tokens: 42, output_tokens: 12, cache_read_input_tokens: 8 },
        }),
        sse("message_stop", { type: "message_stop" }),
      ].join(""),
    );
  });

  it("gives parallel tool calls a block each, in order", () => {
    const text = encode([
      chunk({
        tool_calls: [{ index: 0, id: "a", type: "function", function: { name: "f", arguments: "{}" } }],
      }),
      chunk({
        tool_calls: [{ index: 1, id: "b", type: "function", function: { name: "g", arguments: "{}" } }],
      }),
      chunk({}, "tool_calls"),
    ]);
    const starts = [
      ...text.matchAll(
        /"content_block_start","index":(\d+),"content_block":\{"type":"tool_use","id":"(\w+)"/g,
      ),
    ];
    expect(starts.map((match) => [match[1], match[2]])).toEqual([
      ["0", "a"],
      ["1", "b"],
    ]);
    expect(text.match(/event: content_block_stop/g)?.length).toBe(2);
  });

  it("starts and ends a well-formed message even when the upstream sent no chunk", () => {
    const text = encode([]);
    expect(text).toContain('"id":"req-1"');
    expect(text).toContain('"model":"alias"');
    expect(text).toContain(
      sse("message_delta", {
        type: "message_delta",
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: 0 },
      }),
    );
    expect(text.endsWith(sse("message_stop", { type: "message_stop" }))).toBe(true);
  });

  it("estimates output tokens as one per delta when the upstream reported no usage", () => {
    const text = encode([
      chunk({ content: "a" }),
      chunk({ content: "b" }),
      chunk({
        tool_calls: [{ index: 0, id: "c", type: "function", function: { name: "f", arguments: "{}" } }],
      }),
      chunk({}, "tool_calls"),
    ]);
    expect(text).toContain('"usage":{"output_tokens":3}');
  });

  it("maps length to max_tokens and a refusal delta to text with stop_reason refusal", () => {
    expect(encode([chunk({ content: "Once" }, "length")])).toContain('"stop_reason":"max_tokens"');
    const refused = encode([chunk({ refusal: "No." } as Delta), chunk({}, "stop")]);
    expect(refused).toContain('"delta":{"type":"text_delta","text":"No."}');
    expect(refused).toContain('"stop_reason":"refusal"');
  });

  it("writes a failure as an error event with Anthropic's error body", () => {
    const encoder = createMessagesStreamEncoder(facts);
    const error = new SwitchyardError("SWY_ERR_UPSTREAM_OVERLOADED", "openai: Overloaded");
    expect(encoder.error(error)).toBe(
      sse("error", { type: "error", error: { type: "overloaded_error", message: "openai: Overloaded" } }),
    );
  });

  it("round-trips a recorded Anthropic stream: provider translator, then this encoder", async () => {
    // Anthropic events -> canonical chunks (the provider) -> Anthropic events (the dialect): the content the
    // client reassembles must be what the API sent.
    const recorded = await readFile(
      new URL("../../provider-anthropic/src/__fixtures__/stream-tool-use.sse", import.meta.url),
      "utf8",
    );
    const translator = createAnthropicStreamTranslator({ providerName: "anthropic" });
    const reader = new SseReader();
    const encoder = createMessagesStreamEncoder(facts);
    let out = "";
    for (const event of [...reader.push(recorded), ...reader.end()]) {
      for (const each of translator.push(event)) out += encoder.chunk(each) ?? "";
    }
    out += encoder.end();
    const events = new SseReader().push(out).map((event) => JSON.parse(event.data));
    const text = events
      .filter((event) => event.delta?.type === "text_delta")
      .map((event) => event.delta.text)
      .join("");
    const json = events
      .filter((event) => event.delta?.type === "input_json_delta")
      .map((event) => event.delta.partial_json)
      .join("");
    expect(text).toBe("Let me check.");
    expect(JSON.parse(json)).toEqual({ city: "San Francisco" });
    expect(events.find((event) => event.type === "content_block_start" && event.index === 1)).toMatchObject({
      content_block: { type: "tool_use", id: "toolu_01Ni1uw4HXYxUhc4iFMqx7yY", name: "get_weather" },
    });
    expect(events.at(-2)).toMatchObject({
      type: "message_delta",
      delta: { stop_reason: "tool_use" },
      usage: { input_tokens: 624, output_tokens: 59 },
    });
  });
});
