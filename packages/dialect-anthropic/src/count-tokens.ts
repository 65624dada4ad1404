import type { ChatCompletionRequest, DialectRouteHandler } from "@switchyard/core";
import { createTokenEstimator } from "@switchyard/limiter";
import { convertToCanonicalRequest } from "./convert-to-canonical-request.js";
import { countTokensRequestSchema, type MessagesRequest, parseMessagesBody } from "./messages-request.js";

/** Counts the prompt tokens of a count_tokens request; see `AnthropicDialectOptions.countTokens`. */
export type CountTokens = (request: ChatCompletionRequest, body: MessagesRequest) => number | Promise<number>;

// The limiter's estimator, counting the prompt only: the same numbers token limits reserve with.
const estimator = createTokenEstimator({ defaultMaxTokens: 0, tokenizer: "auto" });

/**
 * `POST /v1/messages/count_tokens` -> `{"input_tokens": N}`. N comes from `countTokens` when given, else
 * from the rate limiter's estimator: exact for OpenAI models (their tokenizer), one token per 3 bytes of
 * UTF-8 for others, Claude included (Anthropic's tokenizer is not public), so it runs high rather than low.
 */
export function createCountTokensHandler(countTokens: CountTokens | undefined): DialectRouteHandler {
  return async (_request, body, { requestId }) => {
    const parsed = parseMessagesBody(countTokensRequestSchema, body) as MessagesRequest;
    const canonical = convertToCanonicalRequest(parsed);
    const counted = countTokens
      ? await countTokens(canonical, parsed)
      : (await estimator.estimate(canonical, "chat", canonical.model)).prompt;
    return {
      status: 200,
      headers: { "content-type": "application/json", "x-request-id": requestId },
      body: JSON.stringify({ input_tokens: Math.max(0, Math.ceil(counted)) }),
    };
  };
}
