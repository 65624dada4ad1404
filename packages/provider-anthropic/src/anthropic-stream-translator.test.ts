import { readFileSync } from "node:fs";
import {
  type ChatCompletionChunk,
  chatCompletionChunkSchema,
  SseReader,
  SwitchyardError,
} from "@switchyard/core";
import { describe, expect, it } from "vitest";
import {
  type AnthropicStreamTranslatorOptions,
  createAnthropicStreamTranslator,
} from "./anthropic-stream-translator.js";

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8");
const sse = (data: Record<string, unknown>) =>
  `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * Feeds an SSE text through the real SseReader and translator, cut into pieces of the given byte sizes (in
 * turn), the way reads arrive from a socket: events and UTF-8 characters straddle pieces.
 */
function translate(
  text: string,
  pieceSizes: readonly number[] = [37],
  options: Partial<AnthropicStreamTranslatorOptions> = {},
) {
  const bytes = Buffer.from(text, "utf8");
  const reader = new SseReader();
  const translator = createAnthropicStreamTranslator({ providerName: "anthropic", ...options });
  const chunks: ChatCompletionChunk[] = [];
  let at = 0;
  for (let piece = 0; at < bytes.length; piece++) {
    const size = pieceSizes[piece % pieceSizes.length] as number;
    for (const event of reader.push(bytes.subarray(at, at + size))) chunks.push(...translator.push(event));
    at += size;
  }
  for (const event of reader.end()) chunks.push(...translator.push(event));
  for (const chunk of chunks) chatCompletionChunkSchema.parse(chunk);
  return { chunks, done: translator.done };
}

/** What an OpenAI client assembles from the chunks. */
function assemble(chunks: readonly ChatCompletionChunk[]) {
  let text = "";
  const finish: string[] = [];
  const calls: Array<{ id?: string; name: string; arguments: string }> = [];
  for (const chunk of chunks) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    text += choice.delta.content ?? "";
    if (choice.finish_reason) finish.push(choice.finish_reason);
    for (const call of choice.delta.tool_calls ?? []) {
      calls[call.index] ??= { name: "", arguments: "" };
      const entry = calls[call.index] as { id?: string; name: string; arguments: string };
      if (call.id) entry.id = call.id;
      entry.name += call.function?.name ?? "";
      entry.arguments += call.function?.arguments ?? "";
    }
  }
  const last = chunks.at(-1);
  return { text, finish, calls, usage: last?.choices.length === 0 ? last.usage : undefined };
}

describe("createAnthropicStreamTranslator with recorded streams", () => {
  it("translates a text stream into exactly OpenAI's chunk sequence", () => {
    const { chunks, done } = translate(fixture("stream-text.sse"));
    expect(done).toBe(true);
    const base = {
      id: "msg_01QC4g3HwBThD4BaNtBckFDJ",
      object: "chat.completion.chunk",
      created: expect.any(Number),
      model: "claude-sonnet-4-5-20250929",
    };
    const delta = (value: Record<string, unknown>, finish: string | null = null) => ({
      ...base,
      choices: [{ index: 0, delta: value, logprobs: null, finish_reason: finish }],
    });
    expect(chunks).toEqual([
      delta({ role: "assistant", content: "" }),
      delta({ content: "Hello" }),
      delta({ content: "! I" }),
      delta({ content: "'m doing well, thank you for asking" }),
      delta({ content: ". How are you doing today?" }),
      delta({ content: " Is" }),
      delta({ content: " there anything I can help you with?" }),
      delta({}, "stop"),
      {
        ...base,
        choices: [],
        usage: {
          prompt_tokens: 12,
          completion_tokens: 30,
          total_tokens: 42,
          prompt_tokens_details: { cached_tokens: 0 },
        },
      },
    ]);
  });

  it.each([[[1]], [[2, 3, 5, 7, 11]], [[64, 1, 300]], [[100_000]]])(
    "gives the same result whatever the read boundaries (%j)",
    (sizes) => {
      const recorded = fixture("stream-tool-use.sse");
      const result = assemble(translate(recorded, sizes).chunks);
      expect(result).toEqual({
        text: "Let me check.",
        finish: ["tool_calls"],
        calls: [
          {
            id: "toolu_01Ni1uw4HXYxUhc4iFMqx7yY",
            name: "get_weather",
            arguments: '{"city": "San Francisco"}',
          },
        ],
        usage: {
          prompt_tokens: 624,
          completion_tokens: 59,
          total_tokens: 683,
          prompt_tokens_details: { cached_tokens: 0 },
        },
      });
    },
  );

  it("numbers tool calls from 0 although the tool is content block 1", () => {
    const { chunks } = translate(fixture("stream-tool-use.sse"), [13]);
    const indexes = chunks.flatMap(
      (chunk) => chunk.choices[0]?.delta.tool_calls?.map((call) => call.index) ?? [],
    );
    expect(new Set(indexes)).toEqual(new Set([0]));
    const first = chunks.find((chunk) => chunk.choices[0]?.delta.tool_calls);
    expect(first?.choices[0]?.delta.tool_calls).toEqual([
      {
        index: 0,
        id: "toolu_01Ni1uw4HXYxUhc4iFMqx7yY",
        type: "function",
        function: { name: "get_weather", arguments: "" },
      },
    ]);
  });

  it("gives a tool call whose input never streamed the arguments {}", () => {
    const result = assemble(translate(fixture("stream-tool-no-args.sse"), [5, 50]).chunks);
    expect(result.text).toBe("I'll update the issue list for you.");
    expect(result.calls).toEqual([
      { id: "toolu_01QE1WLsSVp5hy5Q3GmGTmjP", name: "updateIssueList", arguments: "{}" },
    ]);
    expect(JSON.parse(result.calls[0]?.arguments ?? "")).toEqual({});
    expect(result.finish).toEqual(["tool_calls"]);
  });

  it("streams the response_format tool's input as content and finishes with stop", () => {
    const result = assemble(translate(fixture("stream-json-tool.sse"), [9], { responseTool: "json" }).chunks);
    expect(result.calls).toEqual([]);
    expect(JSON.parse(result.text)).toEqual({
      elements: [{ location: "San Francisco", temperature: 58, condition: "sunny" }],
    });
    expect(result.finish).toEqual(["stop"]);
    // Without the response_format, the same stream is an ordinary tool call.
    const plain = assemble(translate(fixture("stream-json-tool.sse")).chunks);
    expect(plain.calls.map((call) => call.name)).toEqual(["json"]);
    expect(plain.finish).toEqual(["tool_calls"]);
  });

  it("skips server tools and reads cumulative cache usage from message_delta", () => {
    const result = assemble(translate(fixture("stream-server-tools-cache.sse"), [211]).chunks);
    expect(result.text).toBe("The sum of the squares of the numbers 1 through 12 is **650**.");
    expect(result.calls).toEqual([]);
    expect(result.finish).toEqual(["stop"]);
    // input 6 + cache read 6289 + cache write 3337
    expect(result.usage).toEqual({
      prompt_tokens: 9632,
      completion_tokens: 198,
      total_tokens: 9830,
      prompt_tokens_details: { cached_tokens: 6289 },
    });
  });

  it("leaves thinking out and keeps message_start's input count when message_delta has none", () => {
    const result = assemble(translate(fixture("stream-thinking.sse"), [3, 17]).chunks);
    expect(result.text).toBe(
      "Hello! I'm Assistant, an AI here to help you. How can I assist you today? Feel free to ask questions or let me know what you're looking for, and I'll do my best to help.",
    );
    expect(result.usage).toMatchObject({ prompt_tokens: 778, completion_tokens: 104 });
  });

  it("raises an in-stream overload as SWY_ERR_UPSTREAM_OVERLOADED after the text so far", () => {
    const events = fixture("stream-text.sse").split(/(?<=\n\n)/);
    const stream = events.slice(0, 5).join("") + fixture("stream-error-overloaded.sse");
    const reader = new SseReader();
    const translator = createAnthropicStreamTranslator({ providerName: "anthropic" });
    const seen: ChatCompletionChunk[] = [];
    let failure: unknown;
    try {
      for (const event of reader.push(stream)) seen.push(...translator.push(event));
    } catch (error) {
      failure = error;
    }
    expect(assemble(seen).text).toBe("Hello! I");
    expect(SwitchyardError.is(failure)).toBe(true);
    expect(failure).toMatchObject({ code: "SWY_ERR_UPSTREAM_OVERLOADED", message: "anthropic: Overloaded" });
    expect(translator.done).toBe(false);
  });
});

describe("createAnthropicStreamTranslator edge cases", () => {
  const start = sse({
    type: "message_start",
    message: {
      id: "msg_x",
      type: "message",
      role: "assistant",
      model: "claude-x",
      content: [],
      usage: { input_tokens: 10, output_tokens: 1 },
    },
  });
  const stop = (reason: string, output = 5) =>
    sse({
      type: "message_delta",
      delta: { stop_reason: reason, stop_sequence: null },
      usage: { output_tokens: output },
    }) + sse({ type: "message_stop" });
  const toolStart = (index: number, id: string, name: string) =>
    sse({ type: "content_block_start", index, content_block: { type: "tool_use", id, name, input: {} } });
  const json = (index: number, partial: string) =>
    sse({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: partial } });
  const text = (index: number, value: string) =>
    sse({ type: "content_block_start", index, content_block: { type: "text", text: "" } }) +
    sse({ type: "content_block_delta", index, delta: { type: "text_delta", text: value } }) +
    sse({ type: "content_block_stop", index });

  it("indexes parallel tool calls by call, after thinking and text blocks", () => {
    const stream =
      start +
      sse({ type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "" } }) +
      sse({ type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "hmm" } }) +
      sse({ type: "content_block_stop", index: 0 }) +
      text(1, "Both.") +
      toolStart(2, "toolu_a", "read") +
      toolStart(3, "toolu_b", "write") +
      json(3, '{"path":') +
      json(2, '{"path":"a.txt"}') +
      json(3, '"b.txt"}') +
      sse({ type: "content_block_stop", index: 2 }) +
      sse({ type: "content_block_stop", index: 3 }) +
      stop("tool_use");
    const result = assemble(translate(stream, [29]).chunks);
    expect(result.text).toBe("Both.");
    expect(result.calls).toEqual([
      { id: "toolu_a", name: "read", arguments: '{"path":"a.txt"}' },
      { id: "toolu_b", name: "write", arguments: '{"path":"b.txt"}' },
    ]);
  });

  it("keeps multi-byte text whole across read boundaries", () => {
    const result = assemble(translate(start + text(0, "Grüße — 東京 ✓ 🚆") + stop("end_turn"), [1]).chunks);
    expect(result.text).toBe("Grüße — 東京 ✓ 🚆");
  });

  it.each([
    ["max_tokens", "length"],
    ["stop_sequence", "stop"],
    ["refusal", "content_filter"],
    ["pause_turn", "length"],
    ["model_context_window_exceeded", "length"],
  ])("maps stop_reason %s to %s", (reason, finish) => {
    expect(assemble(translate(start + text(0, "x") + stop(reason)).chunks).finish).toEqual([finish]);
  });

  it("ends with a finish chunk and usage even without message_delta", () => {
    const { chunks, done } = translate(start + text(0, "x") + sse({ type: "message_stop" }));
    expect(done).toBe(true);
    expect(assemble(chunks).finish).toEqual(["stop"]);
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 1 });
  });

  it("sends one finish_reason, taking usage from a repeated message_delta", () => {
    const second = sse({
      type: "message_delta",
      delta: { stop_reason: "end_turn" },
      usage: { output_tokens: 9 },
    });
    const { chunks } = translate(start + text(0, "x") + second + stop("end_turn", 12));
    expect(assemble(chunks).finish).toEqual(["stop"]);
    expect(chunks.at(-1)?.usage).toMatchObject({ completion_tokens: 12 });
  });

  it("is not done before message_stop, and ignores what follows it", () => {
    const cut = translate(start + text(0, "partial"));
    expect(cut.done).toBe(false);
    expect(cut.chunks.some((chunk) => chunk.usage)).toBe(false);
    const after = translate(start + stop("end_turn") + text(0, "late"));
    expect(assemble(after.chunks).text).toBe("");
  });

  it("skips unknown event types, as the API's versioning policy asks", () => {
    const stream = start + sse({ type: "future_event", anything: 1 }) + text(0, "ok") + stop("end_turn");
    expect(assemble(translate(stream).chunks).text).toBe("ok");
  });

  it.each([
    ["unparsable data", `${start}event: content_block_delta\ndata: {"type":"content_blo\n\n`],
    [
      "an event before message_start",
      sse({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "x" } }),
    ],
    [
      "a block event without an index",
      `${start}${sse({ type: "content_block_start", content_block: { type: "text", text: "" } })}`,
    ],
  ])("refuses %s as an invalid upstream response", (_what, stream) => {
    expect(() => translate(stream)).toThrow(
      expect.objectContaining({ code: "SWY_ERR_UPSTREAM_INVALID_RESPONSE" }),
    );
  });

  it.each([
    ["rate_limit_error", "SWY_ERR_UPSTREAM_RATE_LIMITED"],
    ["api_error", "SWY_ERR_UPSTREAM_SERVER"],
    ["invalid_request_error", "SWY_ERR_UPSTREAM_BAD_REQUEST"],
    ["authentication_error", "SWY_ERR_UPSTREAM_AUTH"],
    ["something_new", "SWY_ERR_UPSTREAM_SERVER"],
  ])("maps an in-stream %s to %s", (type, code) => {
    const stream = start + sse({ type: "error", error: { type, message: "boom sk-ant-secret" } });
    let failure: SwitchyardError | undefined;
    try {
      translate(stream);
    } catch (error) {
      failure = error as SwitchyardError;
    }
    expect(failure?.code).toBe(code);
    if (code === "SWY_ERR_UPSTREAM_AUTH") expect(failure?.message).not.toContain("boom");
    else expect(failure?.message).toContain("boom");
  });
});
