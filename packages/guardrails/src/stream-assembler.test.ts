import { SseReader } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { encodeAsStream, StreamAssembler } from "./stream-assembler.js";

const events = (...chunks: unknown[]) => chunks.map((chunk) => JSON.stringify(chunk));
const head = { id: "c1", object: "chat.completion.chunk", created: 7, model: "m" };

describe("StreamAssembler", () => {
  it("rebuilds a chat answer: text per choice, tool call arguments, finish reasons, usage", () => {
    const assembler = new StreamAssembler();
    for (const data of events(
      { ...head, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] },
      {
        ...head,
        choices: [
          { index: 0, delta: { content: "Hel" } },
          {
            index: 1,
            delta: {
              tool_calls: [
                { index: 0, id: "t", type: "function", function: { name: "f", arguments: '{"a"' } },
              ],
            },
          },
        ],
      },
      {
        ...head,
        choices: [
          { index: 0, delta: { content: "lo" }, finish_reason: "stop" },
          {
            index: 1,
            delta: { tool_calls: [{ index: 0, function: { arguments: ":1}" } }] },
            finish_reason: "tool_calls",
          },
        ],
      },
      { ...head, choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } },
      "[DONE]",
    ))
      assembler.push(data === '"[DONE]"' ? "[DONE]" : data);
    expect(assembler.usageChunkSent).toBe(true);
    expect(assembler.errorEvent).toBeUndefined();
    expect(assembler.response()).toEqual({
      id: "c1",
      object: "chat.completion",
      created: 7,
      model: "m",
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
      choices: [
        { index: 0, message: { role: "assistant", content: "Hello" }, finish_reason: "stop" },
        {
          index: 1,
          message: {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "t", type: "function", function: { name: "f", arguments: '{"a":1}' } }],
          },
          finish_reason: "tool_calls",
        },
      ],
    });
  });

  it("remembers an error event", () => {
    const assembler = new StreamAssembler();
    assembler.push(JSON.stringify({ error: { message: "cut" } }));
    expect(assembler.errorEvent).toContain("cut");
  });

  it("round-trips a replacement through encodeAsStream", () => {
    const response = {
      id: "c1",
      object: "chat.completion",
      created: 7,
      model: "m",
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
      choices: [{ index: 0, message: { role: "assistant", content: "Replaced." }, finish_reason: "stop" }],
    };
    const reader = new SseReader();
    const assembler = new StreamAssembler();
    const encoded = encodeAsStream(response as never, true);
    const data: string[] = [];
    for (const bytes of encoded) for (const event of reader.push(bytes)) data.push(event.data);
    expect(data.at(-1)).toBe("[DONE]");
    for (const item of data) assembler.push(item);
    expect(assembler.response()).toEqual(response);
    expect(encodeAsStream(response as never, false)).toHaveLength(2);
  });

  it("rebuilds legacy completions", () => {
    const assembler = new StreamAssembler();
    const legacy = { id: "x", object: "text_completion", created: 1, model: "m" };
    assembler.push(JSON.stringify({ ...legacy, choices: [{ index: 0, text: "ab", finish_reason: null }] }));
    assembler.push(
      JSON.stringify({ ...legacy, choices: [{ index: 0, text: "c", finish_reason: "length" }] }),
    );
    expect(assembler.response()).toMatchObject({
      object: "text_completion",
      choices: [{ index: 0, text: "abc", finish_reason: "length" }],
    });
  });
});
