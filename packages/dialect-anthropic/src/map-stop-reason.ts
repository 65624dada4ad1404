import type { AnthropicStopReason } from "@switchyard/provider-anthropic";

/**
 * OpenAI `finish_reason` -> Anthropic `stop_reason`: `stop` -> `end_turn`, `length` -> `max_tokens`,
 * `tool_calls` (and the legacy `function_call`) -> `tool_use`, `content_filter` -> `refusal`. OpenAI does not
 * say whether a stop sequence ended the answer, so `stop_sequence` is never reported. A missing or unknown
 * reason is `end_turn`, the only one that claims nothing more than that the answer ended.
 */
export function mapStopReason(finishReason: string | null | undefined): AnthropicStopReason {
  switch (finishReason) {
    case "length":
      return "max_tokens";
    case "tool_calls":
    case "function_call":
      return "tool_use";
    case "content_filter":
      return "refusal";
    default:
      return "end_turn";
  }
}
