import type { ChatCompletionRequest } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { convertToGeminiRequest } from "./convert-to-gemini-request.js";

const options = { model: "gemini-2.5-flash", remoteFileUrls: true };
const base: ChatCompletionRequest = {
  model: "gemini-2.5-flash",
  messages: [{ role: "user", content: "Hi" }],
};
const convert = (request: Partial<ChatCompletionRequest> & Record<string, unknown>, model = options.model) =>
  convertToGeminiRequest({ ...base, ...request } as ChatCompletionRequest, { ...options, model });

const findTrain = {
  type: "function" as const,
  function: {
    name: "find_train",
    description: "Find a train",
    strict: true,
    parameters: {
      type: "object",
      properties: { from: { type: "string" }, seats: { type: ["integer", "null"] } },
      required: ["from", "seats"],
      additionalProperties: false,
    },
  },
};

describe("convertToGeminiRequest", () => {
  it("maps sampling fields into generationConfig and keeps OpenAI-only fields out", () => {
    expect(
      convert({
        temperature: 0.2,
        top_p: 0.9,
        max_tokens: 50,
        max_completion_tokens: 100,
        stop: ["END", "STOP"],
        n: 2,
        seed: 7,
        presence_penalty: 0.5,
        frequency_penalty: 0,
        user: "user-1",
        metadata: { team: "a" },
        store: true,
        service_tier: "auto",
        parallel_tool_calls: false,
        stream: true,
        stream_options: { include_usage: true },
      }),
    ).toEqual({
      contents: [{ role: "user", parts: [{ text: "Hi" }] }],
      generationConfig: {
        temperature: 0.2,
        topP: 0.9,
        maxOutputTokens: 100,
        stopSequences: ["END", "STOP"],
        candidateCount: 2,
        seed: 7,
        presencePenalty: 0.5,
      },
    });
    expect(convert({ stop: "END", temperature: null })).toEqual({
      contents: [{ role: "user", parts: [{ text: "Hi" }] }],
      generationConfig: { stopSequences: ["END"] },
    });
    expect(convert({})).toEqual({ contents: [{ role: "user", parts: [{ text: "Hi" }] }] });
  });

  it("declares tools in Gemini's schema subset and maps every tool choice", () => {
    const declared = {
      tools: [
        {
          functionDeclarations: [
            {
              name: "find_train",
              description: "Find a train",
              parameters: {
                type: "object",
                properties: { from: { type: "string" }, seats: { type: "integer", nullable: true } },
                required: ["from", "seats"],
              },
            },
            { name: "now" },
          ],
        },
      ],
    };
    const tools = [
      findTrain,
      {
        type: "function" as const,
        function: { name: "now", parameters: { type: "object", properties: {} } },
      },
    ];
    expect(convert({ tools })).toEqual({ contents: expect.any(Array), ...declared });
    expect(convert({ tools, tool_choice: "auto" }).toolConfig).toEqual({
      functionCallingConfig: { mode: "AUTO" },
    });
    expect(convert({ tools, tool_choice: "none" }).toolConfig).toEqual({
      functionCallingConfig: { mode: "NONE" },
    });
    expect(convert({ tools, tool_choice: "required" }).toolConfig).toEqual({
      functionCallingConfig: { mode: "ANY" },
    });
    expect(
      convert({ tools, tool_choice: { type: "function", function: { name: "now" } } }).toolConfig,
    ).toEqual({
      functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["now"] },
    });
  });

  it("refuses tool choices that name no declared tool", () => {
    expect(() =>
      convert({ tools: [findTrain], tool_choice: { type: "function", function: { name: "x" } } }),
    ).toThrow(expect.objectContaining({ code: "SWY_ERR_REQUEST_INVALID", param: "tool_choice" }));
    expect(() => convert({ tool_choice: "required" })).toThrow(
      expect.objectContaining({ param: "tool_choice" }),
    );
    expect(convert({ tool_choice: "none" })).not.toHaveProperty("toolConfig");
  });

  it("carries structured outputs to responseMimeType and responseJsonSchema", () => {
    expect(convert({ response_format: { type: "json_object" } }).generationConfig).toEqual({
      responseMimeType: "application/json",
    });
    const schema = {
      type: "object",
      properties: { answer: { type: "string" } },
      required: ["answer"],
      additionalProperties: false,
    };
    expect(
      convert({
        response_format: { type: "json_schema", json_schema: { name: "answer", schema, strict: true } },
      }).generationConfig,
    ).toEqual({ responseMimeType: "application/json", responseJsonSchema: schema });
    expect(convert({ response_format: { type: "text" } })).not.toHaveProperty("generationConfig");
  });

  it("maps reasoning_effort to a thinking budget, or a thinking level for Gemini 3", () => {
    expect(convert({ reasoning_effort: "low" }).generationConfig).toEqual({
      thinkingConfig: { thinkingBudget: 1024 },
    });
    expect(convert({ reasoning_effort: "none" }).generationConfig).toEqual({
      thinkingConfig: { thinkingBudget: 0 },
    });
    expect(convert({ reasoning_effort: "high" }, "gemini-3-pro-preview").generationConfig).toEqual({
      thinkingConfig: { thinkingLevel: "high" },
    });
    expect(() => convert({ reasoning_effort: "extreme" })).toThrow(
      expect.objectContaining({ param: "reasoning_effort" }),
    );
  });

  it("refuses OpenAI features Gemini cannot answer, naming the field", () => {
    for (const [field, value] of [
      ["logprobs", true],
      ["top_logprobs", 3],
      ["logit_bias", { "50256": -100 }],
      ["modalities", ["text", "audio"]],
      ["audio", { voice: "alloy", format: "mp3" }],
      ["prediction", { type: "content", content: "x" }],
      ["functions", [{ name: "f" }]],
    ] as const) {
      expect(() => convert({ [field]: value }), field).toThrow(
        expect.objectContaining({ code: "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED", status: 400, param: field }),
      );
    }
    expect(convert({ logprobs: false, logit_bias: {}, modalities: ["text"] })).toEqual({
      contents: [{ role: "user", parts: [{ text: "Hi" }] }],
    });
  });

  it("adds the configured safety settings", () => {
    const safetySettings = [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_ONLY_HIGH" }];
    expect(convertToGeminiRequest(base, { ...options, safetySettings }).safetySettings).toEqual(
      safetySettings,
    );
  });
});
