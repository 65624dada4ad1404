import type { ModelInfo } from "@switchyard/core";

// USD per million tokens, from Anthropic's public pricing page as of this writing (base input, output, and
// prompt-cache reads; cache writes cost 1.25x input for 5 minutes, 2x for 1 hour, which ModelPrice cannot
// express). Sonnet's long-context rate (prompts over 200k tokens) is not modelled either. Prices change:
// override them with the provider's `models` option or the CLI config rather than trusting this table.
const chat = (ids: readonly string[], input: number, output: number, cached: number): ModelInfo[] =>
  ids.map((id) => ({
    id,
    operations: ["chat"],
    price: { inputPerMillion: input, outputPerMillion: output, cachedInputPerMillion: cached },
  }));

/** The Claude models the gateway knows prices for, by alias and by dated id. */
export const anthropicModels: readonly ModelInfo[] = Object.freeze([
  ...chat(["claude-opus-4-5", "claude-opus-4-5-20251101"], 5, 25, 0.5),
  ...chat(["claude-opus-4-1", "claude-opus-4-1-20250805"], 15, 75, 1.5),
  ...chat(["claude-opus-4-0", "claude-opus-4-20250514"], 15, 75, 1.5),
  ...chat(["claude-sonnet-4-5", "claude-sonnet-4-5-20250929"], 3, 15, 0.3),
  ...chat(["claude-sonnet-4-0", "claude-sonnet-4-20250514"], 3, 15, 0.3),
  ...chat(["claude-3-7-sonnet-latest", "claude-3-7-sonnet-20250219"], 3, 15, 0.3),
  ...chat(["claude-haiku-4-5", "claude-haiku-4-5-20251001"], 1, 5, 0.1),
  ...chat(["claude-3-5-haiku-latest", "claude-3-5-haiku-20241022"], 0.8, 4, 0.08),
  ...chat(["claude-3-haiku-20240307"], 0.25, 1.25, 0.03),
]);
