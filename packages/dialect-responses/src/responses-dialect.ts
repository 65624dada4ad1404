import type {
  ChatCompletionResponse,
  InboundDialect,
  RequestContext,
  StreamEncoder,
  SwitchyardError,
} from "@switchyard/core";
import { convertToCanonicalRequest } from "./convert-to-canonical-request.js";
import { convertToResponse } from "./convert-to-response.js";
import { parseResponsesRequest } from "./responses-request.js";
import { createResponsesStreamEncoder } from "./responses-stream-encoder.js";

/** The dialect's name: `context.dialect` of its requests, and its name in the CLI config. */
export const RESPONSES_DIALECT = "responses";

/**
 * The OpenAI Responses API as an inbound dialect: `POST /v1/responses` (complete and streamed), stateless,
 * in front of any provider. Requests go through the canonical form; errors keep OpenAI's error body, as the
 * Responses API's are the same shape. Nothing is stored: `previous_response_id`, `conversation` and
 * `item_reference` are refused with a 400, and the client sends the conversation in `input`. See
 * `docs/reference/dialects.md` for what maps how.
 */
export function createResponsesDialect(): InboundDialect {
  return Object.freeze({
    name: RESPONSES_DIALECT,
    routes: Object.freeze({ "/v1/responses": "chat" as const, "/responses": "chat" as const }),
    toCanonical: (body: unknown) => convertToCanonicalRequest(parseResponsesRequest(body)),
    isStream: (body: unknown) =>
      typeof body === "object" && body !== null && (body as { stream?: unknown }).stream === true,
    fromCanonical: (response: ChatCompletionResponse, context: RequestContext) =>
      convertToResponse(response, context.clientBody, context.id),
    createStreamEncoder: (context: RequestContext): StreamEncoder =>
      createResponsesStreamEncoder({
        request: context.clientBody,
        fallbackId: context.id,
        model: context.model,
      }),
    errorBody: (error: SwitchyardError) => error.toBody(),
  });
}
