import type { Usage } from "@switchyard/core";

/** Usage in the Messages API's shape. */
export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
}

/**
 * Canonical usage -> Anthropic usage. OpenAI's `prompt_tokens` is the whole prompt, cache hits included;
 * Anthropic's `input_tokens` counts only what was not read from the cache, which it reports apart as
 * `cache_read_input_tokens`. Cache writes have no canonical field, so `cache_creation_input_tokens` is not
 * reported (they are inside `input_tokens`).
 */
export function toMessagesUsage(usage: Usage | undefined): MessagesUsage {
  if (usage === undefined) return { input_tokens: 0, output_tokens: 0 };
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const output = usage.completion_tokens ?? Math.max(0, usage.total_tokens - usage.prompt_tokens);
  return {
    input_tokens: Math.max(0, usage.prompt_tokens - cached),
    output_tokens: output,
    ...(cached > 0 ? { cache_read_input_tokens: cached } : {}),
  };
}
