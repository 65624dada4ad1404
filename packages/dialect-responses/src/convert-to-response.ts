import type { ChatCompletionResponse } from "@switchyard/core";
import {
  buildResponseObject,
  type ResponseContentPart,
  type ResponseObject,
  type ResponseOutputItem,
  responseIds,
  statusOf,
  toResponseUsage,
} from "./response-object.js";

/**
 * A canonical `chat.completion` -> a Responses API `response`. Output items in the order the API gives them:
 * the assistant's message (an `output_text` part, or a `refusal` part) when it said anything, then one
 * `function_call` item per tool call (`call_id` is the tool call id the client answers with). `length` makes
 * the response `incomplete` (`max_output_tokens`), `content_filter` too (`content_filter`). Ids derive from
 * the upstream's completion id: `resp_<id>`, `msg_<id>`, `fc_<id>_<n>`.
 *
 * @param request - the client's body, whose settings the response echoes.
 * @param fallbackId - the id base when the upstream sent none (the gateway's request id).
 */
export function convertToResponse(
  response: ChatCompletionResponse,
  request: unknown,
  fallbackId: string,
): ResponseObject {
  const ids = responseIds(response.id || fallbackId);
  const choice = response.choices[0];
  const message = choice?.message as
    | (NonNullable<typeof choice>["message"] & { refusal?: string | null })
    | undefined;
  const { status, incomplete } = statusOf(choice?.finish_reason);
  const output: ResponseOutputItem[] = [];
  const content: ResponseContentPart[] = [];
  if (typeof message?.content === "string" && message.content !== "") {
    content.push({ type: "output_text", text: message.content, annotations: [], logprobs: [] });
  }
  if (typeof message?.refusal === "string" && message.refusal !== "") {
    content.push({ type: "refusal", refusal: message.refusal });
  }
  if (content.length > 0) {
    output.push({
      id: ids.message,
      type: "message",
      status: status === "completed" ? "completed" : "incomplete",
      role: "assistant",
      content,
    });
  }
  (message?.tool_calls ?? []).forEach((call, index) => {
    output.push({
      id: ids.functionCall(index),
      type: "function_call",
      status: "completed",
      call_id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
    });
  });
  return buildResponseObject(
    { id: ids.response, createdAt: response.created, model: response.model, request },
    status,
    output,
    toResponseUsage(response.usage),
    incomplete,
  );
}
