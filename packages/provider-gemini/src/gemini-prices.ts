import type { ModelInfo } from "@switchyard/core";

// USD per million tokens, from Google's Gemini API pricing page (https://ai.google.dev/gemini-api/docs/pricing,
// paid tier) as of the author's knowledge, early 2026. Where a model has two tiers (prompts over 200k
// tokens cost more), the lower tier is listed: the gateway prices by token counts, not prompt length.
// Cached prices are for context caching (implicit or explicit; storage not included). Audio input is
// priced higher on some models and is not told apart here. Prices change: override them with the
// provider's `models` option or the CLI config rather than trusting this table.
const chat = (id: string, input: number, output: number, cached?: number): ModelInfo => ({
  id,
  operations: ["chat"],
  price: {
    inputPerMillion: input,
    outputPerMillion: output,
    ...(cached === undefined ? {} : { cachedInputPerMillion: cached }),
  },
});

/** The Gemini models the gateway knows prices for. */
export const geminiModels: readonly ModelInfo[] = Object.freeze([
  chat("gemini-3-pro-preview", 2, 12, 0.2),
  chat("gemini-3-flash-preview", 0.5, 3, 0.05),
  chat("gemini-2.5-pro", 1.25, 10, 0.125),
  chat("gemini-2.5-flash", 0.3, 2.5, 0.03),
  chat("gemini-2.5-flash-lite", 0.1, 0.4, 0.01),
  chat("gemini-2.0-flash", 0.1, 0.4, 0.025),
  chat("gemini-2.0-flash-lite", 0.075, 0.3),
  {
    id: "gemini-embedding-001",
    operations: ["embeddings"],
    price: { inputPerMillion: 0.15, outputPerMillion: 0 },
  },
]);
