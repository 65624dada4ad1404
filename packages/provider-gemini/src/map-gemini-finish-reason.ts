/** An OpenAI finish reason, or `"failed"` for a Gemini reason that means no usable answer was produced. */
export type MappedFinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "failed";

const contentFilter = new Set([
  "SAFETY",
  "RECITATION",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "IMAGE_RECITATION",
]);

// The model tried and failed: a call it could not form, a tool it was not given, a missing signature.
// OpenAI has no finish reason for that, and "stop" with an empty answer would be a fake success.
const failed = new Set([
  "MALFORMED_FUNCTION_CALL",
  "UNEXPECTED_TOOL_CALL",
  "TOO_MANY_TOOL_CALLS",
  "MISSING_THOUGHT_SIGNATURE",
  "MALFORMED_RESPONSE",
]);

/**
 * Maps a Gemini `finishReason`. Gemini ends a function-calling turn with `STOP`, so `hasToolCalls` turns
 * that into `tool_calls`. `LANGUAGE`, `OTHER` and reasons this table does not know map to `stop`.
 */
export function mapGeminiFinishReason(reason: string, hasToolCalls: boolean): MappedFinishReason {
  if (reason === "MAX_TOKENS") return "length";
  if (contentFilter.has(reason)) return "content_filter";
  if (failed.has(reason)) return "failed";
  return hasToolCalls ? "tool_calls" : "stop";
}
