import { readFileSync } from "node:fs";
import { type ChatCompletionChunk, SseReader, type StreamTranslator } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { createGeminiStreamTranslator } from "./gemini-stream-translator.js";

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url));
const sse = (value: unknown) => `data: ${JSON.stringify(value)}\r\n\r\n`;

/** Feeds raw SSE bytes, cut every `size` bytes, through the core SSE reader and a fresh translator. */
function translate(bytes: Buffer, size: number, candidates = 1) {
  const translator = createGeminiStreamTranslator({ providerName: "gemini", model: "asked", candidates });
  const reader = new SseReader();
  const chunks: ChatCompletionChunk[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    for (const event of reader.push(bytes.subarray(at, at + size))) chunks.push(...translator.push(event));
  }
  for (const event of reader.end()) chunks.push(...translator.push(event));
  return { chunks, translator };
}

const text = (chunks: ChatCompletionChunk[]) =>
  chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
const finishes = (chunks: ChatCompletionChunk[]) =>
  chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.finish_reason)).filter(Boolean);
const splits = [1, 3, 17, 64, 100_000];

describe("the Gemini stream translator with recorded streams", () => {
  it.each(splits)("translates a text stream cut every %i bytes", (size) => {
    const { chunks, translator } = translate(fixture("stream-text.sse"), size);
    expect(translator.done).toBe(true);
    expect(text(chunks)).toBe('There are **3** "r"s in strawberry.\n\nst**r**awbe**rr**y');
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: "assistant", content: "There are **3**" });
    expect(finishes(chunks)).toEqual(["stop"]);
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({
        id: "bH6LaZW8Fp_3nsEPqtaSwQ4",
        object: "chat.completion.chunk",
        model: "gemini-3-pro-preview",
      });
    }
    expect(chunks.at(-1)).toEqual({
      id: "bH6LaZW8Fp_3nsEPqtaSwQ4",
      object: "chat.completion.chunk",
      created: expect.any(Number),
      model: "gemini-3-pro-preview",
      choices: [],
      usage: {
        prompt_tokens: 9,
        completion_tokens: 208,
        total_tokens: 217,
        completion_tokens_details: { reasoning_tokens: 185 },
      },
    });
  });

  it.each(splits)("emits a whole function call as one tool-call delta, cut every %i bytes", (size) => {
    const { chunks, translator } = translate(fixture("stream-tool-call.sse"), size);
    expect(translator.done).toBe(true);
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(calls).toEqual([
      {
        index: 0,
        id: "call_b36LacjwM668nsEP2tbsgQQ_0",
        type: "function",
        function: { name: "weather", arguments: '{"location":"San Francisco"}' },
        extra_content: { google: { thought_signature: expect.stringMatching(/^EqUCCqICAb4/) } },
      },
    ]);
    // Gemini says STOP in the chunk after the call; the call makes it tool_calls.
    expect(finishes(chunks)).toEqual(["tool_calls"]);
    expect(chunks.at(-1)?.usage).toEqual({
      prompt_tokens: 29,
      completion_tokens: 60,
      total_tokens: 89,
      completion_tokens_details: { reasoning_tokens: 45 },
    });
  });

  it("raises a blocked prompt as a content-filter error", () => {
    expect(() => translate(fixture("prompt-blocked-stream.sse"), 10)).toThrow(
      expect.objectContaining({ code: "SWY_ERR_UPSTREAM_CONTENT_FILTERED" }),
    );
  });

  it("is not done when the stream ends before a finish reason (a cut stream)", () => {
    const recorded = fixture("stream-text.sse").toString("utf8");
    const firstTwo = recorded.split("\r\n\r\n").slice(0, 2).join("\r\n\r\n");
    const { chunks, translator } = translate(Buffer.from(`${firstTwo}\r\n\r\n`), 5);
    expect(translator.done).toBe(false);
    expect(finishes(chunks)).toEqual([]);
    expect(chunks.some((chunk) => chunk.usage)).toBe(false);
  });
});

describe("the Gemini stream translator on faults and edge cases", () => {
  const chunkOf = (parts: unknown[], extra: Record<string, unknown> = {}, candidate: object = {}) => ({
    candidates: [{ content: { role: "model", parts }, index: 0, ...candidate }],
    responseId: "s1",
    modelVersion: "gemini-2.5-flash",
    ...extra,
  });

  it("keeps multi-byte characters whole across byte cuts", () => {
    const stream =
      sse(chunkOf([{ text: "Train — ✓ " }])) +
      sse(
        chunkOf(
          [{ text: "é" }],
          { usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 4 } },
          { finishReason: "STOP" },
        ),
      );
    const { chunks } = translate(Buffer.from(stream), 1);
    expect(text(chunks)).toBe("Train — ✓ é");
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
  });

  it("raises a malformed event as an invalid response", () => {
    expect(() => translate(Buffer.from('data: {"candidates":[{"content":\r\n\r\n'), 100)).toThrow(
      expect.objectContaining({ code: "SWY_ERR_UPSTREAM_INVALID_RESPONSE" }),
    );
  });

  it("raises an in-stream error event with the code of its Google status", () => {
    const stream =
      sse(chunkOf([{ text: "Hel" }])) +
      sse({
        error: {
          code: 503,
          message: "The model is overloaded. Please try again later.",
          status: "UNAVAILABLE",
        },
      });
    expect(() => translate(Buffer.from(stream), 7)).toThrow(
      expect.objectContaining({
        code: "SWY_ERR_UPSTREAM_OVERLOADED",
        message: "gemini: The model is overloaded. Please try again later. (UNAVAILABLE)",
      }),
    );
    expect(() => translate(Buffer.from(sse({ error: { message: "boom" } })), 7)).toThrow(
      expect.objectContaining({ code: "SWY_ERR_UPSTREAM_SERVER", message: "gemini: boom" }),
    );
  });

  it("raises a finish reason that means failure instead of ending cleanly", () => {
    const stream = sse(chunkOf([], {}, { finishReason: "MALFORMED_FUNCTION_CALL" }));
    expect(() => translate(Buffer.from(stream), 100)).toThrow(
      expect.objectContaining({ code: "SWY_ERR_UPSTREAM_INVALID_RESPONSE" }),
    );
  });

  it("is done only when every requested candidate has finished", () => {
    const both = (first: object, second: object) => ({
      candidates: [
        { content: { role: "model", parts: [{ text: "A" }] }, index: 0, ...first },
        { content: { role: "model", parts: [{ text: "B" }] }, index: 1, ...second },
      ],
      responseId: "s2",
    });
    const early = translate(Buffer.from(sse(both({ finishReason: "STOP" }, {}))), 100, 2);
    expect(early.translator.done).toBe(false);
    const complete = translate(
      Buffer.from(
        sse(both({}, {})) +
          sse({
            ...both({ finishReason: "STOP" }, { finishReason: "MAX_TOKENS" }),
            usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 4, totalTokenCount: 5 },
          }),
      ),
      100,
      2,
    );
    expect(complete.translator.done).toBe(true);
    const byIndex = (index: number) =>
      complete.chunks.flatMap((chunk) => chunk.choices.filter((choice) => choice.index === index));
    expect(
      byIndex(0)
        .map((choice) => choice.delta.content ?? "")
        .join(""),
    ).toBe("AA");
    expect(
      byIndex(1)
        .map((choice) => choice.finish_reason)
        .filter(Boolean),
    ).toEqual(["length"]);
    expect(complete.chunks.at(-1)?.usage?.total_tokens).toBe(5);
  });

  it("replaces the usage chunk when a later chunk brings more complete usage", () => {
    const translator: StreamTranslator = createGeminiStreamTranslator({ providerName: "gemini", model: "m" });
    const first = translator.push({
      data: JSON.stringify(
        chunkOf([{ text: "x" }], { usageMetadata: { promptTokenCount: 2 } }, { finishReason: "STOP" }),
      ),
    });
    expect(first.at(-1)?.usage?.total_tokens).toBe(2);
    const late = { usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 1, totalTokenCount: 3 } };
    expect(translator.push({ data: JSON.stringify(late) })).toEqual([
      expect.objectContaining({
        choices: [],
        usage: { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 },
      }),
    ]);
    expect(translator.push({ data: JSON.stringify(late) })).toEqual([]);
  });
});
