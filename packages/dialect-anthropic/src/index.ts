export {
  ANTHROPIC_DIALECT,
  type AnthropicDialectOptions,
  createAnthropicDialect,
} from "./anthropic-dialect.js";
export { convertToCanonicalRequest } from "./convert-to-canonical-request.js";
export {
  convertToMessagesResponse,
  type MessagesResponse,
  type MessagesResponseBlock,
} from "./convert-to-messages-response.js";
export { type MessagesUsage, toMessagesUsage } from "./convert-usage.js";
export { type CountTokens, createCountTokensHandler } from "./count-tokens.js";
export { mapStopReason } from "./map-stop-reason.js";
export {
  type MessagesErrorBody,
  type MessagesErrorType,
  toMessagesErrorBody,
} from "./messages-error-body.js";
export {
  createMessagesStreamWatcher,
  messagesPassthrough,
  messagesUsageOf,
} from "./messages-passthrough.js";
export {
  countTokensRequestSchema,
  type MessagesRequest,
  messagesRequestSchema,
} from "./messages-request.js";
export {
  createMessagesStreamEncoder,
  type MessagesStreamFacts,
} from "./messages-stream-encoder.js";
