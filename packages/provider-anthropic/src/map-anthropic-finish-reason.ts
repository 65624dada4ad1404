/** The OpenAI finish reasons an Anthropic answer can end with. */
export type OpenAIFinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/**
 * Anthropic `stop_reason` -> OpenAI `finish_reason`.
 *
 * - `end_turn`, `stop_sequence` -> `stop`
 * - `max_tokens`, `model_context_window_exceeded` -> `length` (the answer was cut short)
 * - `tool_use` -> `tool_calls`, or `stop` when the only tool called was the one standing in for
 *   `response_format` (its input became the message content, so no tool call is left for the client)
 * - `refusal` -> `content_filter` (Claude's classifiers stopped the answer)
 * - `pause_turn` -> `length`: the API paused a long turn that the caller is meant to continue. OpenAI has no
 *   such state; `length` is the honest one (the answer is incomplete), where `stop` would pass a partial
 *   answer off as finished.
 * - anything else (a value added after this was written) -> `stop`
 */
export function mapAnthropicFinishReason(
  stopReason: string | null | undefined,
  hasToolCalls = true,
): OpenAIFinishReason {
  switch (stopReason) {
    case "max_tokens":
    case "model_context_window_exceeded":
    case "pause_turn":
      return "length";
    case "tool_use":
      return hasToolCalls ? "tool_calls" : "stop";
    case "refusal":
      return "content_filter";
    default:
      return "stop";
  }
}
