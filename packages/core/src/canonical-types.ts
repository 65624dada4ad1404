import type { ChatCompletionResponse, Usage } from "./canonical-schemas.js";

/** The legacy text Completions response (`object: "text_completion"`). */
export interface CompletionResponse {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: Array<{ text: string; index: number; logprobs: unknown; finish_reason: string | null }>;
  usage?: Usage;
  [field: string]: unknown;
}

/** The Embeddings response. */
export interface EmbeddingResponse {
  object: "list";
  data: Array<{ object: "embedding"; index: number; embedding: number[] | string }>;
  model: string;
  usage?: { prompt_tokens: number; total_tokens: number };
  [field: string]: unknown;
}

/** A canonical response of any operation. */
export type CanonicalResponse = ChatCompletionResponse | CompletionResponse | EmbeddingResponse;
