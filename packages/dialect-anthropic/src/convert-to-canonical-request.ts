import type { ChatCompletionRequest, ChatMessage, ContentPart } from "@switchyard/core";
import type {
  MessagesRequest,
  MessagesRequestBlock,
  MessagesRequestMessage,
  MessagesRequestTool,
} from "./messages-request.js";

type CanonicalTool = NonNullable<ChatCompletionRequest["tools"]>[number];
type ToolCall = NonNullable<Extract<ChatMessage, { role: "assistant" }>["tool_calls"]>[number];
type TextPart = { type: "text"; text: string };
interface ToolResultBlock {
  tool_use_id: string;
  content?: string | Array<{ type: string } & Record<string, unknown>>;
  is_error?: boolean;
}

/**
 * An Anthropic Messages request (already checked) -> the canonical OpenAI chat request. The conversion never
 * refuses what the Messages API accepts: this runs before routing, when the request may still go to an
 * Anthropic upstream byte for byte. What has no OpenAI equivalent is left out here (and kept by the
 * passthrough); `docs/reference/dialects.md` lists each loss and why.
 *
 * - `system` (string or text blocks) -> one leading `system` message.
 * - User turns: `text` -> text parts, `image` (base64 or URL) -> `image_url` (a data URL for base64), a PDF
 *   `document` -> a `file` part with `file_data`, a plain-text `document` -> a text part. Each `tool_result`
 *   -> a `tool` message (text only, `is_error` prefixed as "Error: "), placed before the rest of the turn;
 *   images inside a tool result follow in a user message, since OpenAI tool messages carry only text.
 * - Assistant turns: `text` -> `content`, `tool_use` -> `tool_calls` (input serialised as `arguments`).
 * - Dropped: thinking and redacted thinking blocks, server-tool blocks and any block type not named above,
 *   `cache_control`, `top_k`, `thinking`, server tools (a `tools` entry with a `type`), `service_tier`,
 *   `container`, `mcp_servers` and other Anthropic-only fields.
 * - `max_tokens` -> `max_completion_tokens` (the field OpenAI's current models require); `stop_sequences` ->
 *   `stop`; `metadata.user_id` -> `user`; `tool_choice` `any` -> `required`, `tool` -> a named function,
 *   `disable_parallel_tool_use` -> `parallel_tool_calls: false`.
 * - `stream` as is; the gateway asks the upstream for usage itself (the Anthropic stream ends with it).
 */
export function convertToCanonicalRequest(request: MessagesRequest): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  const system = systemText(request.system);
  if (system !== undefined) messages.push({ role: "system", content: system });
  for (const message of request.messages) messages.push(...convertMessage(message));

  const tools = (request.tools ?? []).flatMap(convertTool);
  const canonical: ChatCompletionRequest = { model: request.model, messages };
  if (request.max_tokens !== undefined) canonical.max_completion_tokens = request.max_tokens;
  if (request.stream === true) canonical.stream = true;
  if (request.temperature !== undefined) canonical.temperature = request.temperature;
  if (request.top_p !== undefined) canonical.top_p = request.top_p;
  if (request.stop_sequences !== undefined && request.stop_sequences.length > 0) {
    canonical.stop = [...request.stop_sequences];
  }
  const user = request.metadata?.user_id;
  if (typeof user === "string" && user !== "") canonical.user = user;
  if (tools.length > 0) {
    canonical.tools = tools;
    const choice = request.tool_choice;
    if (choice !== undefined) {
      if (choice.type === "auto") canonical.tool_choice = "auto";
      else if (choice.type === "any") canonical.tool_choice = "required";
      else if (choice.type === "none") canonical.tool_choice = "none";
      else canonical.tool_choice = { type: "function", function: { name: choice.name } };
      if ("disable_parallel_tool_use" in choice && choice.disable_parallel_tool_use === true) {
        canonical.parallel_tool_calls = false;
      }
    }
  }
  return canonical;
}

function systemText(system: MessagesRequest["system"]): string | TextPart[] | undefined {
  if (system === undefined) return undefined;
  if (typeof system === "string") return system === "" ? undefined : system;
  const parts = system.filter((block) => block.text !== "").map((block) => text(block.text));
  return parts.length > 0 ? parts : undefined;
}

function convertMessage(message: MessagesRequestMessage): ChatMessage[] {
  if (typeof message.content === "string") {
    return [{ role: message.role, content: message.content }] as ChatMessage[];
  }
  return message.role === "user" ? userTurn(message.content) : [assistantTurn(message.content)];
}

function userTurn(blocks: readonly MessagesRequestBlock[]): ChatMessage[] {
  const toolMessages: ChatMessage[] = [];
  // Images returned by tools: OpenAI tool messages hold text only, so they follow in a user message.
  const toolImages: ContentPart[] = [];
  const parts: ContentPart[] = [];
  for (const block of blocks) {
    if (block.type === "tool_result") {
      const result = block as unknown as ToolResultBlock;
      const texts: string[] = [];
      if (typeof result.content === "string") texts.push(result.content);
      else {
        for (const inner of result.content ?? []) {
          if (inner.type === "text" && typeof inner.text === "string") texts.push(inner.text);
          else {
            const part = userPart(inner as MessagesRequestBlock);
            if (part) toolImages.push(part);
          }
        }
      }
      let content = texts.join("\n");
      if (result.is_error === true) content = content === "" ? "Error" : `Error: ${content}`;
      toolMessages.push({ role: "tool", tool_call_id: result.tool_use_id, content });
      continue;
    }
    const part = userPart(block);
    if (part) parts.push(part);
  }
  const rest = [...toolImages, ...parts];
  if (rest.length === 0) return toolMessages;
  return [...toolMessages, { role: "user", content: rest }];
}

function userPart(block: MessagesRequestBlock): ContentPart | undefined {
  const fields = block as Record<string, unknown>;
  switch (block.type) {
    case "text":
      return typeof fields.text === "string" && fields.text !== "" ? text(fields.text) : undefined;
    case "image": {
      const source = fields.source as { type: string; media_type?: string; data?: string; url?: string };
      if (source.type === "base64") {
        return { type: "image_url", image_url: { url: `data:${source.media_type};base64,${source.data}` } };
      }
      if (source.type === "url" && typeof source.url === "string") {
        return { type: "image_url", image_url: { url: source.url } };
      }
      // A Files API reference (`file_id`) only the Anthropic API can resolve.
      return undefined;
    }
    case "document": {
      const source = fields.source as { type: string; media_type?: string; data?: unknown };
      if (source.type === "base64" && source.media_type === "application/pdf") {
        const title = typeof fields.title === "string" && fields.title !== "" ? fields.title : undefined;
        return {
          type: "file",
          file: {
            file_data: `data:application/pdf;base64,${String(source.data)}`,
            ...(title ? { filename: title } : {}),
          },
        };
      }
      if (source.type === "text" && typeof source.data === "string" && source.data !== "") {
        return text(source.data);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function assistantTurn(blocks: readonly MessagesRequestBlock[]): ChatMessage {
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of blocks) {
    const fields = block as Record<string, unknown>;
    if (block.type === "text" && typeof fields.text === "string") texts.push(fields.text);
    else if (block.type === "tool_use") {
      toolCalls.push({
        id: String(fields.id),
        type: "function",
        function: { name: String(fields.name), arguments: JSON.stringify(fields.input ?? {}) },
      });
    }
  }
  const content = texts.join("");
  return {
    role: "assistant",
    content: content === "" && toolCalls.length > 0 ? null : content,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  };
}

function convertTool(tool: MessagesRequestTool): CanonicalTool[] {
  // Server tools run inside Anthropic's API; no other provider can run them.
  if (tool.type !== undefined && tool.type !== "custom") return [];
  return [
    {
      type: "function",
      function: {
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        parameters: tool.input_schema ?? { type: "object", properties: {} },
      },
    },
  ];
}

function text(value: string): TextPart {
  return { type: "text", text: value };
}
