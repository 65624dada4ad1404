import {
  type ChatCompletionChunk,
  formatSseEvent,
  type RequestContext,
  type StreamEncoder,
  type SwitchyardError,
  type Usage,
} from "@switchyard/core";
import type { AnthropicStopReason } from "@switchyard/provider-anthropic";
import { toMessagesUsage } from "./convert-usage.js";
import { mapStopReason } from "./map-stop-reason.js";
import { toMessagesErrorBody } from "./messages-error-body.js";

type ToolCallDelta = NonNullable<ChatCompletionChunk["choices"][number]["delta"]["tool_calls"]>[number];

/** What the encoder needs to know about the request besides the chunks. */
export interface MessagesStreamFacts {
  /** Used as the message id when the upstream's chunks carry none. */
  readonly requestId: string;
  /** Used as the model when the upstream's chunks carry none. */
  readonly model: string;
  /** `usage.input_tokens` of `message_start`, before the real count arrives at the end. */
  readonly estimatedInputTokens: number;
}

/** The facts of a request's context. `estimatedInputTokens` is the rate limiter's prompt estimate, else 0. */
export function streamFactsOf(context: RequestContext, estimatedInputTokens: number): MessagesStreamFacts {
  return { requestId: context.id, model: context.model, estimatedInputTokens };
}

function event(type: string, data: unknown): string {
  return formatSseEvent(JSON.stringify(data), type);
}

/**
 * Canonical `chat.completion.chunk`s -> the Messages API's event stream, as Anthropic sends it:
 *
 * - `message_start` with the first chunk (id and model from it). Its `usage.input_tokens` is an estimate
 *   (see `MessagesStreamFacts`): the canonical stream reports usage only in its last chunk, and holding the
 *   whole answer back for it would defeat streaming. The real counts follow in `message_delta`, which the
 *   Anthropic SDKs copy over the estimate.
 * - Text -> a `text` block (`content_block_start`, `text_delta`s); each tool call -> a `tool_use` block with
 *   `input_json_delta`s of its arguments. Blocks are numbered in order and one is open at a time: a block is
 *   stopped when the next one starts or the choice finishes. (A provider that interleaves the argument deltas
 *   of parallel calls gets each delta at its own block's index, even if that block was stopped: clients
 *   accumulate by index.)
 * - The end: `message_delta` with the `stop_reason` (mapped from `finish_reason`) and the usage of the final
 *   usage chunk (`input_tokens`, `cache_read_input_tokens`, `output_tokens`), then `message_stop`. Should the
 *   upstream report no usage (an OpenAI-compatible server with stream usage switched off), `output_tokens`
 *   is the number of deltas written, the gateway's usual estimate of one token per event.
 * - A failure after the first byte: `event: error` with Anthropic's error body, which the SDKs raise.
 *
 * Only choice 0 is read: the dialect never asks for more.
 */
export function createMessagesStreamEncoder(facts: MessagesStreamFacts): StreamEncoder {
  let started = false;
  let finished = false;
  let nextIndex = 0;
  let openBlock: number | undefined;
  let openIsText = false;
  let stopReason: AnthropicStopReason | undefined;
  let usage: Usage | undefined;
  // Content deltas written: the output estimate when the upstream reported no usage (about a token each).
  let deltas = 0;
  const toolBlocks = new Map<number, number>();

  const start = (id: string, model: string): string => {
    started = true;
    return event("message_start", {
      type: "message_start",
      message: {
        id: id || facts.requestId,
        type: "message",
        role: "assistant",
        model: model || facts.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: facts.estimatedInputTokens, output_tokens: 0 },
      },
    });
  };
  const stopOpen = (): string => {
    if (openBlock === undefined) return "";
    const index = openBlock;
    openBlock = undefined;
    return event("content_block_stop", { type: "content_block_stop", index });
  };
  const text = (value: string): string => {
    let out = "";
    if (openBlock === undefined || !openIsText) {
      out += stopOpen();
      openBlock = nextIndex++;
      openIsText = true;
      out += event("content_block_start", {
        type: "content_block_start",
        index: openBlock,
        content_block: { type: "text", text: "" },
      });
    }
    deltas++;
    return (
      out +
      event("content_block_delta", {
        type: "content_block_delta",
        index: openBlock,
        delta: { type: "text_delta", text: value },
      })
    );
  };
  const toolCall = (call: ToolCallDelta): string => {
    let out = "";
    let index = toolBlocks.get(call.index);
    if (index === undefined) {
      out += stopOpen();
      index = nextIndex++;
      toolBlocks.set(call.index, index);
      openBlock = index;
      openIsText = false;
      out += event("content_block_start", {
        type: "content_block_start",
        index,
        content_block: {
          type: "tool_use",
          id: call.id ?? `toolu_${facts.requestId}_${call.index}`,
          name: call.function?.name ?? "",
          input: {},
        },
      });
    }
    const partial = call.function?.arguments;
    if (partial !== undefined && partial !== "") {
      deltas++;
      out += event("content_block_delta", {
        type: "content_block_delta",
        index,
        delta: { type: "input_json_delta", partial_json: partial },
      });
    }
    return out;
  };

  return {
    chunk(chunk: ChatCompletionChunk): string | undefined {
      let out = started ? "" : start(chunk.id, chunk.model);
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices.find((candidate) => candidate.index === 0);
      if (choice !== undefined && !finished) {
        const delta = choice.delta as typeof choice.delta & { refusal?: string | null };
        if (typeof delta.content === "string" && delta.content !== "") out += text(delta.content);
        if (typeof delta.refusal === "string" && delta.refusal !== "") {
          stopReason = "refusal";
          out += text(delta.refusal);
        }
        for (const call of delta.tool_calls ?? []) out += toolCall(call);
        if (choice.finish_reason) {
          finished = true;
          stopReason ??= mapStopReason(choice.finish_reason);
          out += stopOpen();
        }
      }
      return out === "" ? undefined : out;
    },
    end(): string {
      let out = started ? "" : start("", "");
      out += stopOpen();
      out += event("message_delta", {
        type: "message_delta",
        delta: { stop_reason: stopReason ?? "end_turn", stop_sequence: null },
        // Without a usage report, only the output estimate: the SDKs keep message_start's input estimate
        // when message_delta carries no input_tokens.
        usage: usage ? toMessagesUsage(usage) : { output_tokens: deltas },
      });
      return out + event("message_stop", { type: "message_stop" });
    },
    error(error: SwitchyardError): string {
      return event("error", toMessagesErrorBody(error));
    },
  };
}
