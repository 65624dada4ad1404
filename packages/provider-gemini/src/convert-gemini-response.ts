import { randomUUID } from "node:crypto";
import { type ChatCompletionResponse, SwitchyardError } from "@switchyard/core";
import { convertGeminiUsage } from "./convert-gemini-usage.js";
import {
  type GeminiCandidate,
  type GeminiResponse,
  type GeminiResponsePart,
  geminiResponseSchema,
} from "./gemini-api.js";
import { type MappedFinishReason, mapGeminiFinishReason } from "./map-gemini-finish-reason.js";

/** An OpenAI tool call as this provider emits it (`extra_content` carries Gemini's thought signature). */
// A type alias, not an interface: it must fit the canonical schemas' open (index-signature) objects.
export type ConvertedToolCall = {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  extra_content?: { google: { thought_signature: string } };
};

/**
 * Hands out tool-call ids for one answer. Gemini usually sends none, so ids are derived from the answer's
 * `responseId` and a counter: the same answer yields the same ids, streamed or not, and they are unique
 * within it. Gemini never needs them back (results are matched by function name).
 */
export function createToolCallIds(responseId: string | undefined): (part: GeminiResponsePart) => string {
  const base = responseId ?? randomUUID().replaceAll("-", "").slice(0, 22);
  let next = 0;
  return (part) => part.functionCall?.id ?? `call_${base}_${next++}`;
}

/** One candidate's text (thought summaries left out) and function calls. */
export function readParts(
  parts: readonly GeminiResponsePart[],
  nextId: (part: GeminiResponsePart) => string,
): { text: string; toolCalls: ConvertedToolCall[] } {
  let text = "";
  const toolCalls: ConvertedToolCall[] = [];
  for (const part of parts) {
    if (part.thought === true) continue;
    if (part.functionCall) {
      const call: ConvertedToolCall = {
        id: nextId(part),
        type: "function",
        function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
      };
      if (part.thoughtSignature)
        call.extra_content = { google: { thought_signature: part.thoughtSignature } };
      toolCalls.push(call);
    } else if (typeof part.text === "string") {
      text += part.text;
    }
  }
  return { text, toolCalls };
}

/** Parses one `GenerateContentResponse` (a whole answer or a stream chunk); malformed -> 502. */
export function readGeminiResponse(body: unknown, providerName: string): GeminiResponse {
  const parsed = geminiResponseSchema.safeParse(body);
  if (!parsed.success || typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new SwitchyardError(
      "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
      `${providerName}: the answer is not a GenerateContentResponse.`,
    );
  }
  return parsed.data;
}

/** Throws when Gemini refused the prompt itself (`promptFeedback.blockReason`, no candidates). */
export function assertPromptNotBlocked(response: GeminiResponse, providerName: string): void {
  const reason = response.promptFeedback?.blockReason;
  if (reason !== undefined && (response.candidates ?? []).length === 0) {
    throw new SwitchyardError(
      "SWY_ERR_UPSTREAM_CONTENT_FILTERED",
      `${providerName}: Gemini blocked the prompt (${reason}); no answer was generated.`,
      { param: "messages" },
    );
  }
}

/** Maps a candidate's finish reason; a reason meaning "no usable answer" fails the response. */
export function finishReasonOf(
  candidate: GeminiCandidate,
  hasToolCalls: boolean,
  providerName: string,
): Exclude<MappedFinishReason, "failed"> | null {
  if (candidate.finishReason === undefined) return null;
  const mapped = mapGeminiFinishReason(candidate.finishReason, hasToolCalls);
  if (mapped === "failed") {
    const detail = candidate.finishMessage ? `: ${candidate.finishMessage}` : ".";
    throw new SwitchyardError(
      "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
      `${providerName}: Gemini ended the answer with ${candidate.finishReason}${detail}`,
    );
  }
  return mapped;
}

/** A `generateContent` answer -> the OpenAI chat completion. */
export function convertGeminiResponse(
  body: unknown,
  model: string,
  providerName: string,
): ChatCompletionResponse {
  const response = readGeminiResponse(body, providerName);
  assertPromptNotBlocked(response, providerName);
  const candidates = response.candidates ?? [];
  if (candidates.length === 0) {
    throw new SwitchyardError(
      "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
      `${providerName}: the answer has no candidates.`,
    );
  }
  const nextId = createToolCallIds(response.responseId);
  const choices = candidates.map((candidate, position) => {
    const { text, toolCalls } = readParts(candidate.content?.parts ?? [], nextId);
    const message: ChatCompletionResponse["choices"][number]["message"] = {
      role: "assistant",
      content: text === "" && (toolCalls.length > 0 || candidate.content?.parts === undefined) ? null : text,
    };
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    return {
      index: candidate.index ?? position,
      message,
      logprobs: null,
      finish_reason: finishReasonOf(candidate, toolCalls.length > 0, providerName),
    };
  });
  const completion: ChatCompletionResponse = {
    id: response.responseId ?? `gemini-${randomUUID()}`,
    object: "chat.completion",
    created: createdOf(response),
    model: response.modelVersion ?? model,
    choices,
  };
  if (response.usageMetadata) completion.usage = convertGeminiUsage(response.usageMetadata);
  return completion;
}

/** Vertex-style answers carry `createTime`; the Gemini API's do not, so "now" stands in. */
export function createdOf(response: GeminiResponse): number {
  const time = response.createTime ? Date.parse(response.createTime) : Number.NaN;
  return Math.floor((Number.isNaN(time) ? Date.now() : time) / 1000);
}
