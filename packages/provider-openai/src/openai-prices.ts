import type { ModelInfo } from "@switchyard/core";

// USD per million tokens, from OpenAI's public pricing page at the time of writing. Prices change:
// override them with the provider's `models` option or the CLI config rather than trusting this table.
const chat = (id: string, input: number, output: number, cached?: number): ModelInfo => ({
  id,
  operations: ["chat"],
  price: {
    inputPerMillion: input,
    outputPerMillion: output,
    ...(cached === undefined ? {} : { cachedInputPerMillion: cached }),
  },
});
const embedding = (id: string, input: number): ModelInfo => ({
  id,
  operations: ["embeddings"],
  price: { inputPerMillion: input, outputPerMillion: 0 },
});

/** The models OpenAI serves that the gateway knows prices for. */
export const openaiModels: readonly ModelInfo[] = Object.freeze([
  chat("gpt-5", 1.25, 10, 0.125),
  chat("gpt-5-mini", 0.25, 2, 0.025),
  chat("gpt-5-nano", 0.05, 0.4, 0.005),
  chat("gpt-4.1", 2, 8, 0.5),
  chat("gpt-4.1-mini", 0.4, 1.6, 0.1),
  chat("gpt-4.1-nano", 0.1, 0.4, 0.025),
  chat("gpt-4o", 2.5, 10, 1.25),
  chat("gpt-4o-mini", 0.15, 0.6, 0.075),
  chat("o3", 2, 8, 0.5),
  chat("o4-mini", 1.1, 4.4, 0.275),
  chat("gpt-3.5-turbo", 0.5, 1.5),
  {
    id: "gpt-3.5-turbo-instruct",
    operations: ["completions"],
    price: { inputPerMillion: 1.5, outputPerMillion: 2 },
  },
  embedding("text-embedding-3-small", 0.02),
  embedding("text-embedding-3-large", 0.13),
  embedding("text-embedding-ada-002", 0.1),
]);
