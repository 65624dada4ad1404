import {
  type ChatCompletionResponse,
  type InboundDialect,
  parseOptions,
  type RequestContext,
  type StreamEncoder,
  type SwitchyardError,
} from "@switchyard/core";
import { getRateLimitReservation } from "@switchyard/limiter";
import { z } from "zod";
import { convertToCanonicalRequest } from "./convert-to-canonical-request.js";
import { convertToMessagesResponse } from "./convert-to-messages-response.js";
import { type CountTokens, createCountTokensHandler } from "./count-tokens.js";
import { toMessagesErrorBody } from "./messages-error-body.js";
import { messagesPassthrough } from "./messages-passthrough.js";
import { type MessagesRequest, messagesRequestSchema, parseMessagesBody } from "./messages-request.js";
import { createMessagesStreamEncoder, streamFactsOf } from "./messages-stream-encoder.js";

/** The dialect's name: `context.dialect` of its requests, and its name in the CLI config. */
export const ANTHROPIC_DIALECT = "anthropic";

/** Options of `createAnthropicDialect`. */
export interface AnthropicDialectOptions {
  /**
   * Counts the prompt tokens answered by `POST /v1/messages/count_tokens`: gets the canonical request and the
   * client's body. @default the rate limiter's estimator (exact for OpenAI models, 1 token per 3 bytes else)
   */
  countTokens?: CountTokens;
}

const optionsSchema = z
  .object({
    countTokens: z
      .custom<CountTokens>((value) => typeof value === "function", "expected a function")
      .optional(),
  })
  .strict();

/**
 * The Anthropic Messages API as an inbound dialect: `POST /v1/messages` (complete and streamed) and
 * `POST /v1/messages/count_tokens`, in front of any provider. To a provider of dialect `anthropic` that
 * implements `buildPassthroughRequest`, the client's body goes upstream as is and the answer comes back byte
 * for byte (thinking, cache_control, server tools kept); to any other, through the canonical form and back.
 * Errors are Anthropic error bodies. See `docs/reference/dialects.md` for what maps how.
 */
export function createAnthropicDialect(options: AnthropicDialectOptions = {}): InboundDialect {
  const settings = parseOptions(optionsSchema, options, "anthropic dialect");
  return Object.freeze({
    name: ANTHROPIC_DIALECT,
    routes: Object.freeze({ "/v1/messages": "chat" as const }),
    handlers: Object.freeze({ "/v1/messages/count_tokens": createCountTokensHandler(settings.countTokens) }),
    toCanonical: (body: unknown) =>
      convertToCanonicalRequest(parseMessagesBody(messagesRequestSchema, body) as MessagesRequest),
    isStream: (body: unknown) =>
      typeof body === "object" && body !== null && (body as { stream?: unknown }).stream === true,
    fromCanonical: (response: ChatCompletionResponse) => convertToMessagesResponse(response),
    createStreamEncoder: (context: RequestContext): StreamEncoder =>
      createMessagesStreamEncoder(
        streamFactsOf(context, getRateLimitReservation(context)?.estimate?.prompt ?? 0),
      ),
    errorBody: (error: SwitchyardError) => toMessagesErrorBody(error),
    passthrough: messagesPassthrough,
  });
}
