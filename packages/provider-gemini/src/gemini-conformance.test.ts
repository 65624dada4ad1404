import { describeProviderConformance, type WireRequest } from "@switchyard/testing";
import { expect } from "vitest";
import { createGeminiProvider } from "./gemini-provider.js";

// The fake upstream speaks the Gemini API the way the recordings in __fixtures__ show it: whole
// GenerateContentResponse objects, SSE events framed `data: <json>\r\n\r\n`, no [DONE], the finish reason
// and final usageMetadata on the last chunk, Google's error body.

const MODEL = "gemini-2.5-flash";
const sse = (value: unknown) => `data: ${JSON.stringify(value)}\r\n\r\n`;
const statusNames: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};
const finishReasons = { stop: "STOP", length: "MAX_TOKENS", tool_calls: "STOP" } as const;

// What the real API accepts (https://ai.google.dev/api/generate-content): anything else is answered with
// 400 "Invalid JSON payload received. Unknown name ...".
const requestFields = new Set([
  "contents",
  "systemInstruction",
  "tools",
  "toolConfig",
  "generationConfig",
  "safetySettings",
  "cachedContent",
]);
const generationFields = new Set([
  "temperature",
  "topP",
  "topK",
  "maxOutputTokens",
  "stopSequences",
  "candidateCount",
  "seed",
  "presencePenalty",
  "frequencyPenalty",
  "responseMimeType",
  "responseSchema",
  "responseJsonSchema",
  "thinkingConfig",
]);
const partFields = new Set(["text", "inlineData", "fileData", "functionCall", "functionResponse"]);
const schemaFieldsRefused = ["additionalProperties", "$schema", "$ref", "$defs", "strict"];

function checkSchema(schema: unknown, path: string): void {
  if (typeof schema !== "object" || schema === null) return;
  for (const field of schemaFieldsRefused) expect(schema, `${path} has '${field}'`).not.toHaveProperty(field);
  expect(Array.isArray((schema as { type?: unknown }).type), `${path}.type is an array`).toBe(false);
  for (const [key, value] of Object.entries(schema)) {
    if (key === "properties") {
      for (const [name, child] of Object.entries(value as object)) checkSchema(child, `${path}.${name}`);
    } else if (key === "items") checkSchema(value, `${path}.items`);
  }
}

function checkRequest(request: WireRequest): void {
  expect(request.method).toBe("POST");
  expect(request.url).toMatch(
    new RegExp(`^/v1beta/models/${MODEL}:(generateContent|streamGenerateContent\\?alt=sse)$`),
  );
  expect(request.headers["x-goog-api-key"]).toBe("gemini-conformance-key");
  expect(request.headers.authorization).toBeUndefined();
  expect(request.headers["content-type"]).toBe("application/json");
  const body = request.body as Record<string, unknown>;
  for (const field of Object.keys(body))
    expect(requestFields.has(field), `unknown field '${field}'`).toBe(true);
  const contents = body.contents as Array<{ role: string; parts: Array<Record<string, unknown>> }>;
  expect(contents.length).toBeGreaterThan(0);
  for (const content of contents) {
    expect(["user", "model"]).toContain(content.role);
    expect(content.parts.length).toBeGreaterThan(0);
    for (const part of content.parts) {
      const data = Object.keys(part).filter((key) => key !== "thoughtSignature");
      expect(data.length, "a part holds exactly one kind of data").toBe(1);
      expect(partFields.has(data[0] as string)).toBe(true);
      if ("text" in part) expect(part.text, "Gemini refuses empty text parts").not.toBe("");
    }
  }
  const config = (body.generationConfig ?? {}) as Record<string, unknown>;
  for (const field of Object.keys(config)) {
    expect(generationFields.has(field), `unknown generationConfig field '${field}'`).toBe(true);
  }
  const tools = (body.tools ?? []) as Array<{ functionDeclarations: Array<{ parameters?: unknown }> }>;
  for (const tool of tools) {
    for (const declaration of tool.functionDeclarations) checkSchema(declaration.parameters, "parameters");
  }
}

function usageMetadata(reply: { usage: { promptTokens: number; completionTokens: number } }) {
  return {
    promptTokenCount: reply.usage.promptTokens,
    candidatesTokenCount: reply.usage.completionTokens,
    totalTokenCount: reply.usage.promptTokens + reply.usage.completionTokens,
  };
}

describeProviderConformance({
  name: "gemini",
  model: MODEL,
  createProvider: (origin) =>
    createGeminiProvider({ baseURL: `${origin}/v1beta`, apiKey: "gemini-conformance-key" }),
  checkRequest,
  renderReply(reply) {
    const parts = reply.toolCall
      ? [{ functionCall: { name: reply.toolCall.name, args: JSON.parse(reply.toolCall.arguments) } }]
      : [{ text: reply.text }];
    return {
      status: 200,
      headers: { "content-type": "application/json; charset=UTF-8" },
      body: JSON.stringify({
        candidates: [
          {
            content: { parts, role: "model" },
            finishReason: finishReasons[reply.finishReason],
            index: 0,
          },
        ],
        usageMetadata: usageMetadata(reply),
        modelVersion: MODEL,
        responseId: "conformance-response-1",
      }),
    };
  },
  renderStream(reply) {
    const base = { modelVersion: MODEL, responseId: "conformance-stream-1" };
    const partial = { promptTokenCount: reply.usage.promptTokens, totalTokenCount: reply.usage.promptTokens };
    const events: string[] = [];
    if (reply.toolCall) {
      const functionCall = { name: reply.toolCall.name, args: JSON.parse(reply.toolCall.arguments) };
      events.push(
        sse({
          candidates: [{ content: { parts: [{ functionCall }], role: "model" }, index: 0 }],
          usageMetadata: partial,
          ...base,
        }),
      );
    }
    // Gemini cuts text wherever it likes, mid-word included; three pieces like the recordings.
    const third = Math.ceil(reply.text.length / 3);
    const pieces =
      reply.text === "" ? [] : [0, 1, 2].map((n) => reply.text.slice(n * third, (n + 1) * third));
    const last = pieces.pop() ?? "";
    for (const piece of pieces) {
      events.push(
        sse({
          candidates: [{ content: { parts: [{ text: piece }], role: "model" }, index: 0 }],
          usageMetadata: partial,
          ...base,
        }),
      );
    }
    events.push(
      sse({
        candidates: [
          {
            content: { parts: [{ text: last }], role: "model" },
            finishReason: finishReasons[reply.finishReason],
            index: 0,
          },
        ],
        usageMetadata: usageMetadata(reply),
        ...base,
      }),
    );
    return { headers: { "content-type": "text/event-stream" }, events };
  },
  renderError(status, message) {
    return {
      status,
      headers: { "content-type": "application/json; charset=UTF-8" },
      body: JSON.stringify({ error: { code: status, message, status: statusNames[status] ?? "UNKNOWN" } }),
    };
  },
});
