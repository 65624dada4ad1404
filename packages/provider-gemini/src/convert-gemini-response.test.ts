import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { convertGeminiResponse } from "./convert-gemini-response.js";
import { convertGeminiUsage } from "./convert-gemini-usage.js";
import { mapGeminiFinishReason } from "./map-gemini-finish-reason.js";

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8"));
const convert = (body: unknown) => convertGeminiResponse(body, "gemini-asked-for", "gemini");

describe("convertGeminiResponse with recorded answers", () => {
  it("turns a text answer into a chat completion, thinking tokens counted as output", () => {
    const completion = convert(fixture("generate-content-text.json"));
    expect(completion).toEqual({
      id: "Un6LacrVMcjUxs0PmJfWoQc",
      object: "chat.completion",
      created: expect.any(Number),
      model: "gemini-3-pro-preview",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "There are **3** r's in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.",
          },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: 9,
        completion_tokens: 272,
        total_tokens: 281,
        completion_tokens_details: { reasoning_tokens: 244 },
      },
    });
  });

  it("turns a function call into a tool call with JSON arguments, a stable id and its signature", () => {
    const body = fixture("generate-content-tool-call.json");
    const completion = convert(body);
    expect(completion.choices[0]).toEqual({
      index: 0,
      message: {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_m36LaZGyCLz1xs0PtNSB-QU_0",
            type: "function",
            function: { name: "weather", arguments: '{"location":"San Francisco"}' },
            extra_content: {
              google: {
                thought_signature:
                  "EskgCsYgAb4+9vtF7/499YQS2bjZs3xcQI+iAl+ILn29nK1j0Kg6su7QsUUUk3nrAAfnS2w5WiVvlcCqu9fAebJ2cvfaEyBahEt5",
              },
            },
          },
        ],
      },
      logprobs: null,
      finish_reason: "tool_calls",
    });
    expect(convert(body).choices[0]?.message.tool_calls?.[0]?.id).toBe("call_m36LaZGyCLz1xs0PtNSB-QU_0");
  });

  it("answers a blocked prompt with a content-filter error, not an empty success", () => {
    expect(() => convert(fixture("prompt-blocked.json"))).toThrow(
      expect.objectContaining({
        code: "SWY_ERR_UPSTREAM_CONTENT_FILTERED",
        status: 400,
        message: "gemini: Gemini blocked the prompt (PROHIBITED_CONTENT); no answer was generated.",
      }),
    );
  });
});

describe("convertGeminiResponse edge cases", () => {
  const answer = (candidates: unknown[], extra: Record<string, unknown> = {}) => ({
    candidates,
    modelVersion: "gemini-2.5-flash",
    responseId: "r1",
    ...extra,
  });

  it("maps a safety stop with no content to content_filter and content null", () => {
    const completion = convert(answer([{ finishReason: "SAFETY", index: 0 }]));
    expect(completion.choices).toEqual([
      {
        index: 0,
        message: { role: "assistant", content: null },
        logprobs: null,
        finish_reason: "content_filter",
      },
    ]);
    expect(completion).not.toHaveProperty("usage");
  });

  it("keeps several candidates apart, leaves thought parts out and ids unique", () => {
    const call = (location: string) => ({ functionCall: { name: "weather", args: { location } } });
    const completion = convert(
      answer([
        {
          content: { role: "model", parts: [{ text: "thinking...", thought: true }, { text: "Hi" }] },
          finishReason: "MAX_TOKENS",
          index: 0,
        },
        { content: { role: "model", parts: [call("Oslo"), call("Rome")] }, finishReason: "STOP", index: 1 },
      ]),
    );
    expect(completion.choices.map((choice) => [choice.message.content, choice.finish_reason])).toEqual([
      ["Hi", "length"],
      [null, "tool_calls"],
    ]);
    expect(completion.choices[1]?.message.tool_calls?.map((call) => call.id)).toEqual([
      "call_r1_0",
      "call_r1_1",
    ]);
  });

  it("fails on a finish reason that means the model produced nothing usable", () => {
    expect(() =>
      convert(answer([{ finishReason: "MALFORMED_FUNCTION_CALL", finishMessage: "bad call", index: 0 }])),
    ).toThrow(
      expect.objectContaining({
        code: "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
        message: "gemini: Gemini ended the answer with MALFORMED_FUNCTION_CALL: bad call",
      }),
    );
  });

  it("fails on an answer that is not a GenerateContentResponse", () => {
    for (const body of [null, [], "text", { candidates: "no" }, { candidates: [] }]) {
      expect(() => convert(body), JSON.stringify(body)).toThrow(
        expect.objectContaining({ code: "SWY_ERR_UPSTREAM_INVALID_RESPONSE", status: 502 }),
      );
    }
  });
});

describe("convertGeminiUsage", () => {
  it("counts tool-use prompt tokens as input and reports cached and reasoning tokens", () => {
    const { usageMetadata } = fixture("usage-metadata-tools-cache.json") as {
      usageMetadata: Record<string, number>;
    };
    expect(convertGeminiUsage(usageMetadata)).toEqual({
      prompt_tokens: 77,
      completion_tokens: 160,
      total_tokens: 237,
      prompt_tokens_details: { cached_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 89 },
    });
  });

  it("sums the parts when Gemini sends no total", () => {
    expect(convertGeminiUsage({ promptTokenCount: 5, candidatesTokenCount: 2 })).toEqual({
      prompt_tokens: 5,
      completion_tokens: 2,
      total_tokens: 7,
    });
  });
});

describe("mapGeminiFinishReason", () => {
  it.each([
    ["STOP", false, "stop"],
    ["STOP", true, "tool_calls"],
    ["MAX_TOKENS", true, "length"],
    ["SAFETY", false, "content_filter"],
    ["RECITATION", false, "content_filter"],
    ["BLOCKLIST", false, "content_filter"],
    ["PROHIBITED_CONTENT", false, "content_filter"],
    ["SPII", false, "content_filter"],
    ["MALFORMED_FUNCTION_CALL", false, "failed"],
    ["OTHER", false, "stop"],
    ["SOMETHING_NEW", true, "tool_calls"],
  ] as const)("%s (tool calls: %s) -> %s", (reason, hasToolCalls, expected) => {
    expect(mapGeminiFinishReason(reason, hasToolCalls)).toBe(expected);
  });
});
