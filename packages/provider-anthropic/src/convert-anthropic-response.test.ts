import { readFileSync } from "node:fs";
import { chatCompletionResponseSchema } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { convertAnthropicResponse } from "./convert-anthropic-response.js";

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8"));
const convert = (body: unknown, responseTool?: string) => {
  const response = convertAnthropicResponse(body, "anthropic", responseTool);
  chatCompletionResponseSchema.parse(response);
  return JSON.parse(JSON.stringify(response));
};

describe("convertAnthropicResponse with recorded answers", () => {
  it("translates a text answer into exactly an OpenAI chat.completion", () => {
    expect(convert(fixture("message-text.json"))).toEqual({
      id: "msg_013Zva2CMHLNnXjNJJKqJ2EF",
      object: "chat.completion",
      created: expect.any(Number),
      model: "claude-sonnet-4-20250514",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hi! My name is Claude.", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: 2095,
        completion_tokens: 503,
        total_tokens: 2598,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    });
  });

  it("keeps the text before a tool call and serialises the input as arguments", () => {
    const response = convert(fixture("message-tool-use.json"));
    expect(response.choices[0].message.content).toMatch(/^<thinking>\nThe updateIssueList tool/);
    expect(response.choices[0].message.tool_calls).toEqual([
      {
        id: "toolu_01LRmxn9vGM1d2DZSDBowdZ1",
        type: "function",
        function: { name: "updateIssueList", arguments: "{}" },
      },
    ]);
    expect(response.choices[0].finish_reason).toBe("tool_calls");
    expect(response.usage).toMatchObject({ prompt_tokens: 602, completion_tokens: 93, total_tokens: 695 });
  });

  it("gives a tool-only answer null content", () => {
    const response = convert(fixture("message-weather-tool.json"));
    expect(response.choices[0].message.content).toBeNull();
    expect(JSON.parse(response.choices[0].message.tool_calls[0].function.arguments)).toEqual({
      location: "San Francisco",
    });
  });

  it("returns the response_format tool's input as the content, finished with stop", () => {
    const response = convert(fixture("message-json-tool.json"), "json");
    expect(response.choices[0].message.tool_calls).toBeUndefined();
    expect(response.choices[0].finish_reason).toBe("stop");
    expect(JSON.parse(response.choices[0].message.content).elements).toHaveLength(4);
  });

  it("counts cache reads and writes into the prompt", () => {
    const body = {
      ...(fixture("message-text.json") as object),
      usage: {
        input_tokens: 21,
        cache_creation_input_tokens: 188086,
        cache_read_input_tokens: 1000,
        output_tokens: 393,
      },
    };
    expect(convert(body).usage).toEqual({
      prompt_tokens: 189107,
      completion_tokens: 393,
      total_tokens: 189500,
      prompt_tokens_details: { cached_tokens: 1000 },
    });
  });

  it("maps a refusal to content_filter", () => {
    const body = { ...(fixture("message-text.json") as object), content: [], stop_reason: "refusal" };
    expect(convert(body).choices[0]).toMatchObject({
      finish_reason: "content_filter",
      message: { content: "" },
    });
  });

  it.each([
    [null],
    ["text"],
    [{ type: "message" }],
    [{ ...{ id: "m", type: "message", role: "assistant", model: "x" }, content: "no" }],
  ])("refuses a body that is not a message (%j)", (body) => {
    expect(() => convertAnthropicResponse(body, "anthropic", undefined)).toThrow(
      expect.objectContaining({ code: "SWY_ERR_UPSTREAM_INVALID_RESPONSE" }),
    );
  });
});
