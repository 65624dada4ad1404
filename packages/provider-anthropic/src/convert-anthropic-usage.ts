import type { Usage } from "@switchyard/core";
import type { AnthropicUsage } from "./anthropic-api.js";

/**
 * Anthropic usage -> OpenAI usage. Anthropic counts prompt tokens in three parts: `input_tokens` (not
 * cached), `cache_read_input_tokens` and `cache_creation_input_tokens`; OpenAI's `prompt_tokens` is the whole
 * prompt, with the cache hits in `prompt_tokens_details.cached_tokens`. Cache writes have no OpenAI field:
 * they are counted in `prompt_tokens` (billed at the input price by the gateway's cost accounting, while
 * Anthropic bills them at 1.25x).
 */
export function toOpenAIUsage(usage: AnthropicUsage): Usage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const promptTokens = (usage.input_tokens ?? 0) + cacheRead + (usage.cache_creation_input_tokens ?? 0);
  const completionTokens = usage.output_tokens ?? 0;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: cacheRead },
  };
}
