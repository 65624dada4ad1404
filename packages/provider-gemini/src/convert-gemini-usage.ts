import type { Usage } from "@switchyard/core";
import type { GeminiUsage } from "./gemini-api.js";

/**
 * `usageMetadata` -> OpenAI usage. Gemini bills thinking tokens as output, as OpenAI counts reasoning
 * tokens in `completion_tokens`; tokens of tool results the model read (`toolUsePromptTokenCount`) are input.
 * `totalTokenCount` includes both, so `prompt_tokens + completion_tokens = total_tokens` holds.
 */
export function convertGeminiUsage(usage: GeminiUsage): Usage {
  const thoughts = usage.thoughtsTokenCount ?? 0;
  const promptTokens = (usage.promptTokenCount ?? 0) + (usage.toolUsePromptTokenCount ?? 0);
  const completionTokens = (usage.candidatesTokenCount ?? 0) + thoughts;
  const converted: Usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: usage.totalTokenCount ?? promptTokens + completionTokens,
  };
  if (usage.cachedContentTokenCount !== undefined) {
    converted.prompt_tokens_details = { cached_tokens: usage.cachedContentTokenCount };
  }
  if (usage.thoughtsTokenCount !== undefined) {
    converted.completion_tokens_details = { reasoning_tokens: thoughts };
  }
  return converted;
}
