import { randomUUID } from "node:crypto";
import {
  type ChatCompletionChunk,
  type SseEvent,
  type StreamTranslator,
  SwitchyardError,
  type Usage,
} from "@switchyard/core";
import {
  assertPromptNotBlocked,
  createdOf,
  createToolCallIds,
  finishReasonOf,
  readGeminiResponse,
  readParts,
} from "./convert-gemini-response.js";
import { convertGeminiUsage } from "./convert-gemini-usage.js";
import type { GeminiResponsePart } from "./gemini-api.js";
import { parseGeminiStreamError } from "./gemini-error.js";

type Delta = ChatCompletionChunk["choices"][number]["delta"];

/** What the translator needs to know about the stream it reads. */
export interface GeminiStreamOptions {
  readonly providerName: string;
  /** The model asked for; the chunks name Gemini's `modelVersion` once it is known. */
  readonly model: string;
  /** How many candidates were asked for (`n`): the stream is complete when each has finished. @default 1 */
  readonly candidates?: number;
}

/**
 * Translates `streamGenerateContent?alt=sse`. Every event is a whole `GenerateContentResponse` chunk:
 * text parts are deltas, a function call arrives whole (emitted as one tool-call delta with its full
 * arguments), and there is no `[DONE]`. The stream is complete (`done`) once every candidate has a
 * `finishReason`; the usage chunk is emitted right then from the latest `usageMetadata`. A stream that ends
 * before that was cut.
 */
export function createGeminiStreamTranslator(options: GeminiStreamOptions): StreamTranslator {
  const { providerName } = options;
  const expected = Math.max(1, options.candidates ?? 1);
  const candidates = new Map<number, { toolCalls: number; finished: boolean }>();
  let done = false;
  let id: string | undefined;
  let created = 0;
  let model = options.model;
  let nextId: (part: GeminiResponsePart) => string = createToolCallIds(undefined);
  let usage: Usage | undefined;
  let emittedUsage: string | undefined;

  const chunk = (choices: ChatCompletionChunk["choices"], extra: Partial<ChatCompletionChunk> = {}) =>
    ({
      id: id as string,
      object: "chat.completion.chunk",
      created,
      model,
      choices,
      ...extra,
    }) as ChatCompletionChunk;
  const usageChunk = (): ChatCompletionChunk[] => {
    const serialized = JSON.stringify(usage);
    if (usage === undefined || serialized === emittedUsage) return [];
    emittedUsage = serialized;
    return [chunk([], { usage })];
  };

  return {
    get done() {
      return done;
    },
    push(event: SseEvent): ChatCompletionChunk[] {
      if (event.data.trim() === "") return [];
      let body: unknown;
      try {
        body = JSON.parse(event.data);
      } catch {
        throw new SwitchyardError(
          "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
          `${providerName}: malformed stream event.`,
        );
      }
      if (typeof body === "object" && body !== null && "error" in body) {
        throw (
          parseGeminiStreamError(body, providerName) ??
          new SwitchyardError("SWY_ERR_UPSTREAM_SERVER", `${providerName}: error mid-stream.`)
        );
      }
      const response = readGeminiResponse(body, providerName);
      if (id === undefined) {
        id = response.responseId ?? `gemini-${randomUUID()}`;
        created = createdOf(response);
        nextId = createToolCallIds(response.responseId);
      }
      if (response.modelVersion) model = response.modelVersion;
      if (response.usageMetadata) usage = convertGeminiUsage(response.usageMetadata);
      // After the end, only a late, more complete usageMetadata is of interest (it replaces the last chunk's).
      if (done) return usageChunk();
      assertPromptNotBlocked(response, providerName);

      const out: ChatCompletionChunk[] = [];
      (response.candidates ?? []).forEach((candidate, position) => {
        const index = candidate.index ?? position;
        const delta: Delta = {};
        let state = candidates.get(index);
        if (state === undefined) {
          state = { toolCalls: 0, finished: false };
          candidates.set(index, state);
          delta.role = "assistant";
        }
        if (state.finished) return;
        const current = state;
        const { text, toolCalls } = readParts(candidate.content?.parts ?? [], nextId);
        if (text !== "") delta.content = text;
        if (toolCalls.length > 0) {
          delta.tool_calls = toolCalls.map((call) => ({ index: current.toolCalls++, ...call }));
        }
        const finish = finishReasonOf(candidate, state.toolCalls > 0, providerName);
        if (Object.keys(delta).length > 0 || finish !== null) {
          out.push(chunk([{ index, delta, logprobs: null, finish_reason: finish }]));
        }
        if (finish !== null) state.finished = true;
      });
      const finished = [...candidates.values()].filter((state) => state.finished).length;
      if (finished >= expected) {
        done = true;
        out.push(...usageChunk());
      }
      return out;
    },
  };
}
