import type { CanonicalRequest, CanonicalResponse } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { mapRequestText, mapResponseText } from "./canonical-text.js";

const upper = (text: string) => (text.includes("secret") ? text.toUpperCase() : text);

describe("mapRequestText", () => {
  it("returns the same object when nothing changes", () => {
    const request = { model: "m", messages: [{ role: "user", content: "hello" }] } as CanonicalRequest;
    expect(mapRequestText(request, upper)).toBe(request);
  });

  it("maps message strings and text parts, leaving other parts, tool calls and the input untouched", () => {
    const request = {
      model: "m",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "a secret" },
            { type: "image_url", image_url: { url: "x" } },
          ],
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "1", type: "function", function: { name: "f", arguments: '{"secret":1}' } }],
        },
        { role: "tool", tool_call_id: "1", content: "secret result" },
      ],
    } as unknown as CanonicalRequest;
    const mapped = mapRequestText(request, upper) as unknown as { messages: unknown[] };
    expect(mapped.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "A SECRET" },
          { type: "image_url", image_url: { url: "x" } },
        ],
      },
      (request as { messages: unknown[] }).messages[1],
      { role: "tool", tool_call_id: "1", content: "SECRET RESULT" },
    ]);
    expect(mapped.messages[1]).toBe((request as { messages: unknown[] }).messages[1]);
    expect((request as { messages: Array<{ content: unknown }> }).messages[2]?.content).toBe("secret result");
  });

  it("maps prompts, suffixes and embedding inputs, not token ids", () => {
    expect(
      mapRequestText({ model: "m", prompt: ["secret", "x"], suffix: "secret" } as CanonicalRequest, upper),
    ).toEqual({
      model: "m",
      prompt: ["SECRET", "x"],
      suffix: "SECRET",
    });
    expect(mapRequestText({ model: "m", input: "secret" } as CanonicalRequest, upper)).toEqual({
      model: "m",
      input: "SECRET",
    });
    const tokens = { model: "m", input: [1, 2, 3] } as CanonicalRequest;
    expect(mapRequestText(tokens, upper)).toBe(tokens);
  });
});

describe("mapResponseText", () => {
  it("maps chat contents and legacy texts, not embeddings", () => {
    const chat = {
      object: "chat.completion",
      choices: [
        { index: 0, message: { role: "assistant", content: "secret" } },
        { index: 1, message: { role: "assistant", content: null } },
      ],
    } as unknown as CanonicalResponse;
    expect(mapResponseText(chat, upper)).toMatchObject({
      choices: [{ message: { content: "SECRET" } }, { message: { content: null } }],
    });
    const legacy = {
      object: "text_completion",
      choices: [{ index: 0, text: "secret" }],
    } as unknown as CanonicalResponse;
    expect(mapResponseText(legacy, upper)).toMatchObject({ choices: [{ text: "SECRET" }] });
    const embeddings = { object: "list", data: [] } as unknown as CanonicalResponse;
    expect(mapResponseText(embeddings, upper)).toBe(embeddings);
  });
});
