import type { ModelInfo } from "@switchyard/core";

// USD per million tokens for official language models, from Replicate's public pricing and model pages as
// known at the time of writing. Official models are billed per token (input and output); other models are
// billed per second of hardware time, which has no token price: give those a price with the `models`
// option if you want cost tracking, or leave them unpriced (cost unknown, not zero).
const chat = (id: string, input: number, output: number): ModelInfo => ({
  id,
  operations: ["chat"],
  price: { inputPerMillion: input, outputPerMillion: output },
});

/** Official Replicate language models the provider knows prices for. */
export const replicateModels: readonly ModelInfo[] = Object.freeze([
  chat("meta/meta-llama-3-8b-instruct", 0.05, 0.25),
  chat("meta/meta-llama-3-70b-instruct", 0.65, 2.75),
  chat("meta/meta-llama-3.1-405b-instruct", 9.5, 9.5),
  chat("meta/llama-4-scout-instruct", 0.17, 0.65),
  chat("meta/llama-4-maverick-instruct", 0.25, 0.95),
  chat("mistralai/mixtral-8x7b-instruct-v0.1", 0.3, 1),
  chat("deepseek-ai/deepseek-r1", 3.75, 10),
  chat("ibm-granite/granite-3.3-8b-instruct", 0.03, 0.25),
]);
