export { convertToCanonicalRequest } from "./convert-to-canonical-request.js";
export { convertToResponse } from "./convert-to-response.js";
export {
  buildResponseObject,
  type IncompleteDetails,
  type ResponseContentPart,
  type ResponseFacts,
  type ResponseObject,
  type ResponseOutputItem,
  type ResponseStatus,
  type ResponseUsage,
  toResponseUsage,
} from "./response-object.js";
export { createResponsesDialect, RESPONSES_DIALECT } from "./responses-dialect.js";
export {
  parseResponsesRequest,
  type ResponsesContentPart,
  type ResponsesFunctionCallItem,
  type ResponsesFunctionCallOutputItem,
  type ResponsesFunctionTool,
  type ResponsesMessageItem,
  type ResponsesRequest,
  responsesRequestSchema,
} from "./responses-request.js";
export { createResponsesStreamEncoder, type ResponsesStreamFacts } from "./responses-stream-encoder.js";
