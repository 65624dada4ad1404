import {
  type ChatCompletionChunk,
  type SseEvent,
  type StreamTranslator,
  SwitchyardError,
} from "@switchyard/core";
import type { AnthropicUsage } from "./anthropic-api.js";
import { anthropicStreamError } from "./anthropic-error.js";
import { toOpenAIUsage } from "./convert-anthropic-usage.js";
import { mapAnthropicFinishReason } from "./map-anthropic-finish-reason.js";

/** Options of `createAnthropicStreamTranslator`. */
export interface AnthropicStreamTranslatorOptions {
  /** Prefix of error messages. */
  readonly providerName: string;
  /** The tool standing in for `response_format`: its input deltas become content deltas. */
  readonly responseTool?: string | undefined;
}

type Delta = ChatCompletionChunk["choices"][number]["delta"];
type FinishReason = ChatCompletionChunk["choices"][number]["finish_reason"];

// What each content block (by Anthropic's block index) turns into.
const TEXT = 0;
const JSON_CONTENT = 1;
const IGNORED = 2;
interface ToolBlock {
  /** The OpenAI tool_call index: it counts tool calls, not content blocks (a text block may come first). */
  readonly toolIndex: number;
  hasArguments: boolean;
}
type BlockState = typeof TEXT | typeof JSON_CONTENT | typeof IGNORED | ToolBlock;

/**
 * Turns Anthropic stream events into OpenAI `chat.completion.chunk`s:
 *
 * - `message_start` -> the first chunk (`role: "assistant"`, `content: ""`); id and model come from it.
 * - `content_block_start` of a `tool_use` -> a tool-call chunk with `id`, `type`, `function.name` and empty
 *   arguments, at the next tool_call index; `text_delta` -> `content`; `input_json_delta` -> argument
 *   fragments at that tool's index. A tool call whose input never streamed gets `"{}"` (OpenAI clients parse
 *   the arguments; an empty string is not JSON).
 * - the `response_format` tool streams as `content` instead, so the JSON arrives like text does.
 * - `message_delta` -> a chunk with `finish_reason`; `message_stop` -> the usage chunk (`choices: []`), then
 *   the translator is done. Usage counts are cumulative; the latest value of each wins.
 * - `ping`, thinking, signature and citation deltas, server-tool blocks and unknown event types are skipped.
 * - `error` -> a SwitchyardError by error type (`overloaded_error` -> `SWY_ERR_UPSTREAM_OVERLOADED`, ...);
 *   unparsable data or events before `message_start` -> `SWY_ERR_UPSTREAM_INVALID_RESPONSE`.
 */
export function createAnthropicStreamTranslator(options: AnthropicStreamTranslatorOptions): StreamTranslator {
  const { providerName, responseTool } = options;
  let done = false;
  let started = false;
  let finished = false;
  let id = "";
  let model = "";
  let created = 0;
  let toolCount = 0;
  let stopReason: string | null = null;
  let jsonStreamed = false;
  const blocks: BlockState[] = [];
  const usage: AnthropicUsage = {};

  const chunk = (delta: Delta, finishReason: FinishReason = null): ChatCompletionChunk => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  });
  const finishChunk = () => {
    finished = true;
    return chunk({}, mapAnthropicFinishReason(stopReason, toolCount > 0));
  };
  const invalid = (what: string) =>
    new SwitchyardError("SWY_ERR_UPSTREAM_INVALID_RESPONSE", `${providerName}: ${what}`);
  const readUsage = (value: unknown) => {
    if (typeof value !== "object" || value === null) return;
    const source = value as Record<string, unknown>;
    for (const key of [
      "input_tokens",
      "output_tokens",
      "cache_read_input_tokens",
      "cache_creation_input_tokens",
    ] as const) {
      const count = source[key];
      if (typeof count === "number") usage[key] = count;
    }
  };

  return {
    get done() {
      return done;
    },
    push(event: SseEvent): ChatCompletionChunk[] {
      if (done) return [];
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(event.data);
      } catch {
        throw invalid("malformed stream event.");
      }
      if (typeof data !== "object" || data === null) throw invalid("malformed stream event.");
      const type = typeof data.type === "string" ? data.type : event.event;
      if (type === "ping") return [];
      if (type === "error") throw anthropicStreamError(data, providerName);
      if (type === "message_start") {
        const message = data.message as Record<string, unknown> | undefined;
        if (typeof message !== "object" || message === null)
          throw invalid("message_start without a message.");
        id = typeof message.id === "string" ? message.id : "";
        model = typeof message.model === "string" ? message.model : "";
        created = Math.floor(Date.now() / 1000);
        readUsage(message.usage);
        started = true;
        return [chunk({ role: "assistant", content: "" })];
      }
      if (!started) throw invalid(`stream event '${String(type)}' before message_start.`);
      switch (type) {
        case "content_block_delta":
          return blockDelta(data);
        case "content_block_start":
          return blockStart(data);
        case "content_block_stop":
          return blockStop(data);
        case "message_delta": {
          readUsage(data.usage);
          const delta = data.delta as { stop_reason?: unknown } | undefined;
          if (typeof delta?.stop_reason === "string") stopReason = delta.stop_reason;
          // One finish_reason per choice, as OpenAI sends; a later message_delta only updates usage.
          return finished ? [] : [finishChunk()];
        }
        case "message_stop": {
          done = true;
          const out = finished ? [] : [finishChunk()];
          out.push({
            id,
            object: "chat.completion.chunk",
            created,
            model,
            choices: [],
            usage: toOpenAIUsage(usage),
          });
          return out;
        }
        default:
          // Anthropic may add event types; its versioning policy asks clients to skip unknown ones.
          return [];
      }
    },
  };

  function blockIndex(data: Record<string, unknown>): number {
    const index = data.index;
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0) {
      throw invalid("content block event without an index.");
    }
    return index;
  }

  function blockStart(data: Record<string, unknown>): ChatCompletionChunk[] {
    const index = blockIndex(data);
    const block = data.content_block as Record<string, unknown> | undefined;
    if (block?.type === "text") {
      blocks[index] = TEXT;
      return typeof block.text === "string" && block.text !== "" ? [chunk({ content: block.text })] : [];
    }
    if (block?.type !== "tool_use") {
      blocks[index] = IGNORED;
      return [];
    }
    const name = typeof block.name === "string" ? block.name : "";
    const input = block.input;
    const initial =
      typeof input === "object" && input !== null && Object.keys(input).length > 0
        ? JSON.stringify(input)
        : "";
    if (responseTool !== undefined && name === responseTool) {
      blocks[index] = JSON_CONTENT;
      if (initial === "") return [];
      jsonStreamed = true;
      return [chunk({ content: initial })];
    }
    const toolIndex = toolCount++;
    blocks[index] = { toolIndex, hasArguments: initial !== "" };
    return [
      chunk({
        tool_calls: [
          {
            index: toolIndex,
            id: typeof block.id === "string" ? block.id : `toolu_${toolIndex}`,
            type: "function",
            function: { name, arguments: initial },
          },
        ],
      }),
    ];
  }

  function blockDelta(data: Record<string, unknown>): ChatCompletionChunk[] {
    const index = blockIndex(data);
    const delta = data.delta as Record<string, unknown> | undefined;
    const state = blocks[index];
    if (delta?.type === "text_delta") {
      const text = delta.text;
      if (typeof text !== "string") throw invalid("text_delta without text.");
      return text === "" || (state !== undefined && state !== TEXT) ? [] : [chunk({ content: text })];
    }
    if (delta?.type !== "input_json_delta") return [];
    const partial = delta.partial_json;
    if (partial === undefined || partial === "") return [];
    if (typeof partial !== "string") throw invalid("input_json_delta without partial_json.");
    if (state === JSON_CONTENT) {
      jsonStreamed = true;
      return [chunk({ content: partial })];
    }
    if (typeof state !== "object") return [];
    state.hasArguments = true;
    return [chunk({ tool_calls: [{ index: state.toolIndex, function: { arguments: partial } }] })];
  }

  function blockStop(data: Record<string, unknown>): ChatCompletionChunk[] {
    const state = blocks[blockIndex(data)];
    if (state === JSON_CONTENT && !jsonStreamed) {
      jsonStreamed = true;
      return [chunk({ content: "{}" })];
    }
    if (typeof state !== "object" || state.hasArguments) return [];
    state.hasArguments = true;
    return [chunk({ tool_calls: [{ index: state.toolIndex, function: { arguments: "{}" } }] })];
  }
}
