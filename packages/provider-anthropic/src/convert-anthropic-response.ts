import { type ChatCompletionResponse, SwitchyardError } from "@switchyard/core";
import { anthropicMessageResponseSchema } from "./anthropic-api.js";
import { toOpenAIUsage } from "./convert-anthropic-usage.js";
import { mapAnthropicFinishReason } from "./map-anthropic-finish-reason.js";

type ToolCall = NonNullable<ChatCompletionResponse["choices"][number]["message"]["tool_calls"]>[number];

/**
 * A complete Anthropic message -> an OpenAI `chat.completion`. Text blocks are joined into `content`;
 * `tool_use` blocks become `tool_calls` (input serialised as the `arguments` JSON text), except a call of the
 * `response_format` tool, whose input becomes the content. Thinking and server-tool blocks have no place in
 * an OpenAI message and are left out. `created` is the time of translation: Anthropic does not send one.
 */
export function convertAnthropicResponse(
  body: unknown,
  providerName: string,
  responseTool: string | undefined,
): ChatCompletionResponse {
  const parsed = anthropicMessageResponseSchema.safeParse(body);
  if (!parsed.success) {
    throw new SwitchyardError(
      "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
      `${providerName}: the answer is not an Anthropic message.`,
    );
  }
  const message = parsed.data;
  let text = "";
  let json: string | undefined;
  const toolCalls: ToolCall[] = [];
  for (const block of message.content) {
    if (block.type === "text") text += block.text ?? "";
    else if (block.type === "tool_use") {
      const input = JSON.stringify(block.input ?? {});
      if (responseTool !== undefined && block.name === responseTool) json ??= input;
      else {
        toolCalls.push({
          id: block.id ?? `toolu_${toolCalls.length}`,
          type: "function",
          function: { name: block.name ?? "", arguments: input },
        });
      }
    }
  }
  // With a JSON response format the content is the JSON, not any words around it.
  const content = json ?? (text === "" && toolCalls.length > 0 ? null : text);
  return {
    id: message.id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: message.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          refusal: null,
        },
        logprobs: null,
        finish_reason: mapAnthropicFinishReason(message.stop_reason, toolCalls.length > 0),
      },
    ],
    usage: toOpenAIUsage(message.usage),
  };
}
