import { type ChatMessage, type ContentPart, SwitchyardError } from "@switchyard/core";
import type {
  AnthropicAssistantBlock,
  AnthropicImageBlock,
  AnthropicMessage,
  AnthropicTextBlock,
  AnthropicUserBlock,
} from "./anthropic-api.js";

/** The conversation in Anthropic's shape: system text apart, then alternating user/assistant turns. */
export interface AnthropicConversation {
  readonly system: AnthropicTextBlock[] | undefined;
  readonly messages: AnthropicMessage[];
}

type CacheControl = NonNullable<AnthropicTextBlock["cache_control"]>;
type Block = AnthropicUserBlock | AnthropicAssistantBlock;

const IMAGE_MEDIA_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

/**
 * OpenAI chat messages -> Anthropic `system` + `messages`.
 *
 * - `system` and `developer` messages, wherever they are, become the top-level `system` blocks, in order
 *   (Anthropic has no system role inside the conversation).
 * - Assistant `tool_calls` become `tool_use` blocks (arguments parsed: Anthropic takes the input as JSON).
 * - `tool` messages become `tool_result` blocks of a user turn; consecutive ones, and a user message right
 *   after them, share one user turn, so roles alternate as the API requires.
 * - Images (`image_url`, http(s) URL or base64 data URL) become `image` blocks; a PDF sent as a `file` data
 *   URL becomes a `document` block. Audio and `file_id` references have no equivalent and are refused.
 * - Empty text is skipped (the API refuses empty text blocks); a `cache_control` on a text part (or on a
 *   message with string content) is carried over, so prompt caching can be used through the OpenAI API.
 * - Tool call ids are made safe for Anthropic (`[a-zA-Z0-9_-]`) the same way on both sides of a call.
 */
export function convertToAnthropicMessages(messages: readonly ChatMessage[]): AnthropicConversation {
  const system: AnthropicTextBlock[] = [];
  const out: Array<{ role: "user" | "assistant"; content: Block[] }> = [];
  const push = (role: "user" | "assistant", blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = out.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };

  messages.forEach((message, index) => {
    const path = `messages[${index}]`;
    const messageCache = cacheControlOf(message);
    switch (message.role) {
      case "system":
      case "developer":
        system.push(...textBlocks(message.content, messageCache));
        return;
      case "user":
        push("user", userBlocks(message.content, messageCache, path));
        return;
      case "assistant":
        push("assistant", assistantBlocks(message, messageCache, path));
        return;
      case "tool": {
        const content = textBlocks(message.content, undefined);
        push("user", [
          {
            type: "tool_result",
            tool_use_id: toolCallId(message.tool_call_id),
            ...(content.length > 0 ? { content } : {}),
            ...(messageCache ? { cache_control: messageCache } : {}),
          },
        ]);
        return;
      }
      default:
        throw unsupported(
          "the legacy 'function' role; send tool calls as 'tools' and 'tool' messages",
          `${path}.role`,
        );
    }
  });

  if (out.length === 0) {
    throw new SwitchyardError(
      "SWY_ERR_REQUEST_INVALID",
      "The Anthropic Messages API needs at least one user or assistant message with content.",
      { param: "messages" },
    );
  }
  return {
    system: system.length > 0 ? system : undefined,
    messages: out as AnthropicMessage[],
  };
}

/** A tool call id Anthropic accepts (`^[a-zA-Z0-9_-]+$`), derived the same way for calls and results. */
export function toolCallId(id: string): string {
  const safe = id.replace(/[^a-zA-Z0-9_-]/g, "_");
  return safe === "" ? "call" : safe;
}

function textBlocks(
  content: string | ReadonlyArray<{ type: "text"; text: string }> | null | undefined,
  messageCache: CacheControl | undefined,
): AnthropicTextBlock[] {
  if (content === null || content === undefined) return [];
  if (typeof content === "string") return content === "" ? [] : [text(content, messageCache)];
  return content.filter((part) => part.text !== "").map((part) => text(part.text, cacheControlOf(part)));
}

function userBlocks(
  content: string | readonly ContentPart[],
  messageCache: CacheControl | undefined,
  path: string,
): AnthropicUserBlock[] {
  if (typeof content === "string") return textBlocks(content, messageCache);
  const blocks: AnthropicUserBlock[] = [];
  content.forEach((part, index) => {
    const partPath = `${path}.content[${index}]`;
    switch (part.type) {
      case "text":
        if (part.text !== "") blocks.push(text(part.text, cacheControlOf(part)));
        return;
      case "image_url":
        blocks.push(imageBlock(part.image_url.url, cacheControlOf(part), `${partPath}.image_url.url`));
        return;
      case "file":
        blocks.push(documentBlock(part.file, cacheControlOf(part), `${partPath}.file`));
        return;
      case "input_audio":
        throw unsupported("audio input", partPath);
    }
  });
  return blocks;
}

function assistantBlocks(
  message: Extract<ChatMessage, { role: "assistant" }>,
  messageCache: CacheControl | undefined,
  path: string,
): AnthropicAssistantBlock[] {
  if ((message as { function_call?: unknown }).function_call) {
    throw unsupported("the legacy 'function_call'; send 'tool_calls'", `${path}.function_call`);
  }
  const blocks: AnthropicAssistantBlock[] = [];
  const content = message.content;
  if (typeof content === "string") blocks.push(...textBlocks(content, messageCache));
  else if (Array.isArray(content)) {
    for (const part of content) {
      // A refusal the model gave earlier is part of what it said.
      const value = part.type === "refusal" ? (part as { refusal: string }).refusal : part.text;
      if (value !== "") blocks.push(text(value, cacheControlOf(part)));
    }
  }
  message.tool_calls?.forEach((call, index) => {
    blocks.push({
      type: "tool_use",
      id: toolCallId(call.id),
      name: call.function.name,
      input: parseArguments(call.function.arguments, `${path}.tool_calls[${index}].function.arguments`),
    });
  });
  return blocks;
}

function parseArguments(text: string, param: string): Record<string, unknown> {
  // A call without arguments may carry "" (some clients); Anthropic wants an object.
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SwitchyardError("SWY_ERR_REQUEST_INVALID", `Invalid '${param}': not valid JSON.`, { param });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new SwitchyardError(
      "SWY_ERR_REQUEST_INVALID",
      `Invalid '${param}': tool arguments must be a JSON object for Anthropic.`,
      { param },
    );
  }
  return parsed as Record<string, unknown>;
}

function imageBlock(url: string, cache: CacheControl | undefined, param: string): AnthropicImageBlock {
  const cacheField = cache ? { cache_control: cache } : {};
  if (url.startsWith("data:")) {
    const data = parseDataUrl(url, param);
    if (!IMAGE_MEDIA_TYPES.has(data.mediaType)) {
      throw unsupported(`images of type '${data.mediaType}' (jpeg, png, gif and webp are)`, param);
    }
    return {
      type: "image",
      source: {
        type: "base64",
        media_type: data.mediaType as "image/jpeg" | "image/png" | "image/gif" | "image/webp",
        data: data.base64,
      },
      ...cacheField,
    };
  }
  if (!/^https?:\/\//i.test(url)) {
    throw new SwitchyardError(
      "SWY_ERR_REQUEST_INVALID",
      `Invalid '${param}': an image must be an http(s) URL or a base64 data URL.`,
      { param },
    );
  }
  return { type: "image", source: { type: "url", url }, ...cacheField };
}

function documentBlock(file: Record<string, unknown>, cache: CacheControl | undefined, param: string) {
  const fileData = file.file_data;
  if (typeof fileData !== "string") {
    throw unsupported("file references by 'file_id'; send the PDF inline as 'file_data'", param);
  }
  const data = parseDataUrl(fileData, `${param}.file_data`);
  if (data.mediaType !== "application/pdf") {
    throw unsupported(`files of type '${data.mediaType}' (PDF is)`, `${param}.file_data`);
  }
  return {
    type: "document" as const,
    source: { type: "base64" as const, media_type: "application/pdf" as const, data: data.base64 },
    ...(typeof file.filename === "string" && file.filename !== "" ? { title: file.filename } : {}),
    ...(cache ? { cache_control: cache } : {}),
  };
}

function parseDataUrl(url: string, param: string): { mediaType: string; base64: string } {
  const match = /^data:([^;,]+)(?:;[^;,]*)*;base64,(.+)$/s.exec(url);
  if (!match) {
    throw new SwitchyardError(
      "SWY_ERR_REQUEST_INVALID",
      `Invalid '${param}': expected a base64 data URL (data:<type>;base64,<data>).`,
      { param },
    );
  }
  return { mediaType: (match[1] as string).toLowerCase(), base64: match[2] as string };
}

function text(value: string, cache: CacheControl | undefined): AnthropicTextBlock {
  return cache ? { type: "text", text: value, cache_control: cache } : { type: "text", text: value };
}

/** A `cache_control` the client put on a part or message, if it is one Anthropic takes. */
function cacheControlOf(value: object): CacheControl | undefined {
  const cache = (value as { cache_control?: unknown }).cache_control;
  if (typeof cache !== "object" || cache === null) return undefined;
  const { type, ttl } = cache as { type?: unknown; ttl?: unknown };
  if (type !== "ephemeral") return undefined;
  return ttl === "5m" || ttl === "1h" ? { type, ttl } : { type };
}

function unsupported(what: string, param: string): SwitchyardError {
  return new SwitchyardError(
    "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED",
    `The Anthropic Messages API does not take ${what} ('${param}').`,
    { param },
  );
}
