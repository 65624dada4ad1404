import type { ChatMessage } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { convertToGeminiMessages, SKIP_THOUGHT_SIGNATURE } from "./convert-to-gemini-messages.js";

const options = { model: "gemini-2.5-flash", remoteFileUrls: true };
const convert = (messages: ChatMessage[], overrides: Partial<typeof options> = {}) =>
  convertToGeminiMessages(messages, { ...options, ...overrides });

const weatherCall = {
  id: "call_1",
  type: "function" as const,
  function: { name: "weather", arguments: '{"location":"Paris"}' },
};

describe("convertToGeminiMessages", () => {
  it("moves system and developer messages to systemInstruction and maps roles", () => {
    expect(
      convert([
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello!" },
        { role: "developer", content: [{ type: "text", text: "Answer in French." }] },
        { role: "user", content: "Weather?" },
      ]),
    ).toEqual({
      systemInstruction: { parts: [{ text: "Be brief." }, { text: "Answer in French." }] },
      contents: [
        { role: "user", parts: [{ text: "Hi" }] },
        { role: "model", parts: [{ text: "Hello!" }] },
        { role: "user", parts: [{ text: "Weather?" }] },
      ],
    });
  });

  it("merges consecutive turns of one role, tool results included", () => {
    const result = convert([
      { role: "user", content: "Paris and Rome?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          weatherCall,
          { id: "call_2", type: "function", function: { name: "weather", arguments: '{"location":"Rome"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: '{"temperature":21}' },
      { role: "tool", tool_call_id: "call_2", content: "sunny" },
      { role: "user", content: "Thanks" },
    ]);
    expect(result.contents).toEqual([
      { role: "user", parts: [{ text: "Paris and Rome?" }] },
      {
        role: "model",
        parts: [
          { functionCall: { name: "weather", args: { location: "Paris" } } },
          { functionCall: { name: "weather", args: { location: "Rome" } } },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "weather", response: { temperature: 21 } } },
          { functionResponse: { name: "weather", response: { output: "sunny" } } },
          { text: "Thanks" },
        ],
      },
    ]);
  });

  it("keeps assistant text before its function calls and maps the legacy function role", () => {
    const result = convert([
      { role: "user", content: "Go" },
      { role: "assistant", content: "Checking.", tool_calls: [weatherCall] },
      { role: "function", name: "weather", content: "[1,2]" },
    ]);
    expect(result.contents.slice(1)).toEqual([
      {
        role: "model",
        parts: [{ text: "Checking." }, { functionCall: { name: "weather", args: { location: "Paris" } } }],
      },
      { role: "user", parts: [{ functionResponse: { name: "weather", response: { output: [1, 2] } } }] },
    ]);
  });

  it("sends back the thought signature handed out in extra_content", () => {
    const result = convert(
      [
        { role: "user", content: "Go" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ ...weatherCall, extra_content: { google: { thought_signature: "c2ln" } } }],
        },
        { role: "tool", tool_call_id: "call_1", content: "{}" },
      ],
      { model: "gemini-3-pro-preview" },
    );
    expect(result.contents[1]).toEqual({
      role: "model",
      parts: [{ functionCall: { name: "weather", args: { location: "Paris" } }, thoughtSignature: "c2ln" }],
    });
  });

  it("puts Gemini's documented stand-in signature on replayed calls for Gemini 3, and only there", () => {
    const history: ChatMessage[] = [
      { role: "user", content: "Go" },
      {
        role: "assistant",
        content: null,
        tool_calls: [weatherCall, { ...weatherCall, id: "call_2" }],
      },
      { role: "tool", tool_call_id: "call_1", content: "{}" },
      { role: "tool", tool_call_id: "call_2", content: "{}" },
    ];
    const gemini3 = convert(history, { model: "gemini-3-flash-preview" }).contents[1]?.parts;
    expect(gemini3?.map((part) => part.thoughtSignature)).toEqual([SKIP_THOUGHT_SIGNATURE, undefined]);
    const gemini25 = convert(history).contents[1]?.parts;
    expect(gemini25?.map((part) => part.thoughtSignature)).toEqual([undefined, undefined]);
  });

  it("maps images, audio and files to inlineData and fileData", () => {
    const result = convert([
      {
        role: "user",
        content: [
          { type: "text", text: "What is this?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          { type: "image_url", image_url: { url: "https://example.com/cat.JPG?size=large" } },
          { type: "image_url", image_url: { url: "https://example.com/render" } },
          {
            type: "image_url",
            image_url: { url: "https://generativelanguage.googleapis.com/v1beta/files/abc-123" },
          },
          { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
          { type: "file", file: { filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0=" } },
        ],
      },
    ]);
    expect(result.contents[0]?.parts).toEqual([
      { text: "What is this?" },
      { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
      { fileData: { mimeType: "image/jpeg", fileUri: "https://example.com/cat.JPG?size=large" } },
      { fileData: { fileUri: "https://example.com/render" } },
      { fileData: { fileUri: "https://generativelanguage.googleapis.com/v1beta/files/abc-123" } },
      { inlineData: { mimeType: "audio/wav", data: "UklGRg==" } },
      { inlineData: { mimeType: "application/pdf", data: "JVBERi0=" } },
    ]);
  });

  it("refuses URLs Gemini cannot take, naming the field", () => {
    const image = (url: string) =>
      [{ role: "user", content: [{ type: "image_url", image_url: { url } }] }] as ChatMessage[];
    expect(() => convert(image("http://example.com/cat.png"))).toThrow(
      expect.objectContaining({
        code: "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED",
        status: 400,
        param: "messages[0].content[0].image_url.url",
      }),
    );
    expect(() => convert(image("data:image/png,rawbytes"))).toThrow(/base64/);
    expect(() => convert(image("https://example.com/cat.png"), { remoteFileUrls: false })).toThrow(
      /Files API URIs/,
    );
    expect(
      convert(image("https://generativelanguage.googleapis.com/v1beta/files/f1"), { remoteFileUrls: false })
        .contents[0]?.parts,
    ).toEqual([{ fileData: { fileUri: "https://generativelanguage.googleapis.com/v1beta/files/f1" } }]);
    expect(() =>
      convert([{ role: "user", content: [{ type: "file", file: { file_id: "file-abc" } }] }]),
    ).toThrow(/file ids/);
  });

  it("refuses a tool result whose call it cannot find and arguments that are not a JSON object", () => {
    expect(() =>
      convert([
        { role: "user", content: "Go" },
        { role: "tool", tool_call_id: "call_unknown", content: "{}" },
      ]),
    ).toThrow(
      expect.objectContaining({ code: "SWY_ERR_REQUEST_INVALID", param: "messages[1].tool_call_id" }),
    );
    const withArguments = (text: string) =>
      convert([
        { role: "user", content: "Go" },
        {
          role: "assistant",
          tool_calls: [{ ...weatherCall, function: { name: "weather", arguments: text } }],
        },
      ]);
    expect(() => withArguments("{oops")).toThrow(
      expect.objectContaining({ param: "messages[1].tool_calls[0].function.arguments" }),
    );
    expect(() => withArguments("[1]")).toThrow(/JSON object/);
    expect(withArguments("").contents[1]?.parts).toEqual([{ functionCall: { name: "weather", args: {} } }]);
  });

  it("drops empty text and refuses a conversation with nothing but a system prompt", () => {
    expect(
      convert([
        { role: "user", content: "" },
        {
          role: "user",
          content: [
            { type: "text", text: "" },
            { type: "text", text: "Hi" },
          ],
        },
        { role: "assistant", content: "" },
      ]).contents,
    ).toEqual([{ role: "user", parts: [{ text: "Hi" }] }]);
    expect(() => convert([{ role: "system", content: "Be brief." }])).toThrow(
      expect.objectContaining({ code: "SWY_ERR_REQUEST_INVALID", param: "messages" }),
    );
  });
});
