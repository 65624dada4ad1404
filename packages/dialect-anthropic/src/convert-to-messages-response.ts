import type { ChatCompletionResponse } from "@switchyard/core";
import type { AnthropicStopReason } from "@switchyard/provider-anthropic";
import { type MessagesUsage, toMessagesUsage } from "./convert-usage.js";
import { mapStopReason } from "./map-stop-reason.js";

/** A content block of an answer. */
export type MessagesResponseBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

/** A complete answer of `POST /v1/messages`. */
export interface MessagesResponse {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: MessagesResponseBlock[];
  stop_reason: AnthropicStopReason;
  stop_sequence: null;
  usage: MessagesUsage;
}

/**
 * A canonical `chat.completion` -> an Anthropic message. The first choice is the answer (the dialect never
 * asks for more). Its text (or refusal) becomes a `text` block, then each tool call a `tool_use` block with
 * the parsed `arguments` as `input`. Arguments that are not a JSON object (a model's malformed output) become
 * `{}`: Anthropic's `input` must be an object, and clients parse it without checking.
 */
export function convertToMessagesResponse(response: ChatCompletionResponse): MessagesResponse {
  const choice = response.choices[0];
  const message = choice?.message as
    | (NonNullable<typeof choice>["message"] & { refusal?: string | null })
    | undefined;
  const content: MessagesResponseBlock[] = [];
  const text = message?.content ?? message?.refusal ?? "";
  if (text !== "") content.push({ type: "text", text });
  for (const call of message?.tool_calls ?? []) {
    content.push({
      type: "tool_use",
      id: call.id,
      name: call.function.name,
      input: toolInput(call.function.arguments),
    });
  }
  const refused = typeof message?.refusal === "string" && message.refusal !== "";
  return {
    id: response.id,
    type: "message",
    role: "assistant",
    model: response.model,
    content,
    stop_reason: refused ? "refusal" : mapStopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: toMessagesUsage(response.usage),
  };
}

/** Tool-call arguments (JSON text) -> a tool_use `input` object. */
export function toolInput(text: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
