import type { ModelInfo } from "@switchyard/core";

// USD per million tokens for Global Standard deployments, from the public Azure OpenAI pricing page as known
// at the time of writing. Data Zone and Regional deployments cost more (about 10%), Provisioned (PTU)
// deployments are billed per hour, not per token, and prices change: set the real price of a deployment
// with the provider's `models` option (or the CLI config) rather than trusting this table. Ids are Azure's
// model names (`gpt-35-turbo`, not `gpt-3.5-turbo`).
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

/** Azure OpenAI models the provider knows prices for, by model name. */
export const azureOpenAIModels: readonly ModelInfo[] = Object.freeze([
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
  chat("o3-mini", 1.1, 4.4, 0.55),
  chat("gpt-35-turbo", 0.5, 1.5),
  {
    id: "gpt-35-turbo-instruct",
    operations: ["completions"],
    price: { inputPerMillion: 1.5, outputPerMillion: 2 },
  },
  embedding("text-embedding-3-small", 0.02),
  embedding("text-embedding-3-large", 0.13),
  embedding("text-embedding-ada-002", 0.1),
]);
