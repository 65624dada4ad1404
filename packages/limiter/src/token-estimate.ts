import type {
  CanonicalRequest,
  ChatCompletionRequest,
  CompletionRequest,
  EmbeddingRequest,
  Operation,
} from "@switchyard/core";
import { encodingForModel, estimateTokens, loadTokenCounter, type TokenCounter } from "./tokenizer.js";

/** What a request is expected to cost in tokens, reserved before the call. */
export interface TokenEstimate {
  /** Prompt tokens: counted with the model's tokenizer, or estimated. */
  readonly prompt: number;
  /** The most completion tokens the request may produce: `max_tokens` (or the default) times `n`. */
  readonly completion: number;
  /** `prompt + completion`: the reservation. */
  readonly total: number;
  /** Whether `prompt` was counted with the model's own tokenizer (else estimated from bytes). */
  readonly counted: boolean;
}

/** Options of {@link createTokenEstimator}. */
export interface TokenEstimatorOptions {
  /** Completion tokens reserved when the request sets no `max_tokens` / `max_completion_tokens`. */
  readonly defaultMaxTokens: number;
  /** `"auto"` counts with gpt-tokenizer where the model's encoding is known; `"estimate"` never does. */
  readonly tokenizer: "auto" | "estimate";
  /** Replaces the prompt count entirely. */
  readonly countPromptTokens?: (request: CanonicalRequest, operation: Operation) => number | Promise<number>;
}

// OpenAI's accounting for chat: each message costs its content plus a few tokens of framing, and the reply
// is primed with a few more. The numbers are the cookbook's for current models.
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING_TOKENS = 3;
/** An image part: what a 1024x1024 image costs at "high" detail (85 base + 4 tiles of 170). */
export const IMAGE_PART_TOKENS = 765;
/** An image part at "low" detail. */
export const LOW_DETAIL_IMAGE_PART_TOKENS = 85;
/** An audio or file part: a flat allowance, since its size in tokens is not knowable up front. */
export const OTHER_PART_TOKENS = 1_000;

function countParts(content: unknown, count: TokenCounter): number {
  if (typeof content === "string") return count(content);
  if (!Array.isArray(content)) return 0;
  let total = 0;
  for (const part of content as Array<Record<string, unknown>>) {
    if (part.type === "text" && typeof part.text === "string") total += count(part.text);
    else if (part.type === "refusal" && typeof part.refusal === "string") total += count(part.refusal);
    else if (part.type === "image_url") {
      const detail = (part.image_url as { detail?: string } | undefined)?.detail;
      total += detail === "low" ? LOW_DETAIL_IMAGE_PART_TOKENS : IMAGE_PART_TOKENS;
    } else total += OTHER_PART_TOKENS;
  }
  return total;
}

function chatPromptTokens(request: ChatCompletionRequest, count: TokenCounter): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const message of request.messages) {
    total += TOKENS_PER_MESSAGE + countParts(message.content, count);
    if ("name" in message && typeof message.name === "string") total += count(message.name) + TOKENS_PER_NAME;
    if ("tool_calls" in message && Array.isArray(message.tool_calls)) {
      for (const call of message.tool_calls) {
        total += TOKENS_PER_MESSAGE + count(call.function.name) + count(call.function.arguments);
      }
    }
  }
  // Tool definitions and response schemas are sent to the model as text too; their JSON is a close count.
  if (request.tools !== undefined && request.tools.length > 0) total += count(JSON.stringify(request.tools));
  if (request.response_format?.type === "json_schema")
    total += count(JSON.stringify(request.response_format));
  return total;
}

function completionPromptTokens(request: CompletionRequest, count: TokenCounter): number {
  const prompts = typeof request.prompt === "string" ? [request.prompt] : request.prompt;
  let total = 0;
  for (const prompt of prompts) total += count(prompt);
  return total;
}

function embeddingInputTokens(request: EmbeddingRequest, count: TokenCounter): number {
  const input = request.input;
  if (typeof input === "string") return count(input);
  let total = 0;
  for (const item of input as ReadonlyArray<string | number | number[]>) {
    if (typeof item === "string") total += count(item);
    else if (typeof item === "number") total += 1;
    else total += item.length;
  }
  return total;
}

function maxCompletionTokens(request: CanonicalRequest, operation: Operation, fallback: number): number {
  if (operation === "embeddings") return 0;
  const fields = request as {
    max_completion_tokens?: number | null;
    max_tokens?: number | null;
    n?: number | null;
  };
  const perChoice = fields.max_completion_tokens ?? fields.max_tokens ?? fallback;
  return perChoice * (fields.n ?? 1);
}

/**
 * Creates the estimator of token reservations: prompt tokens counted with gpt-tokenizer when the model's
 * encoding is known (OpenAI models), estimated from UTF-8 bytes elsewhere, plus the completion allowance.
 */
export function createTokenEstimator(options: TokenEstimatorOptions) {
  const finish = (request: CanonicalRequest, operation: Operation, prompt: number, counted: boolean) => {
    const completion = maxCompletionTokens(request, operation, options.defaultMaxTokens);
    return { prompt, completion, total: prompt + completion, counted };
  };
  const countWith = (request: CanonicalRequest, operation: Operation, count: TokenCounter) =>
    operation === "chat"
      ? chatPromptTokens(request as ChatCompletionRequest, count)
      : operation === "completions"
        ? completionPromptTokens(request as CompletionRequest, count)
        : embeddingInputTokens(request as EmbeddingRequest, count);
  return {
    /**
     * The reservation for `request`. Synchronous (no promise to wait for) when no tokenizer is involved:
     * this runs on every request.
     */
    estimate(
      request: CanonicalRequest,
      operation: Operation,
      model: string,
    ): TokenEstimate | Promise<TokenEstimate> {
      if (options.countPromptTokens !== undefined) {
        const custom = options.countPromptTokens;
        return (async () =>
          finish(request, operation, Math.max(0, Math.ceil(await custom(request, operation))), false))();
      }
      const encoding = options.tokenizer === "auto" ? encodingForModel(model) : undefined;
      if (encoding === undefined)
        return finish(request, operation, countWith(request, operation, estimateTokens), false);
      return loadTokenCounter(encoding).then((count) =>
        finish(request, operation, countWith(request, operation, count), count !== estimateTokens),
      );
    },
  };
}

/** The estimator `createTokenEstimator` returns. */
export type TokenEstimator = ReturnType<typeof createTokenEstimator>;
