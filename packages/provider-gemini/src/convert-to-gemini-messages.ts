import { type ChatMessage, type ContentPart, SwitchyardError } from "@switchyard/core";
import type { GeminiContent, GeminiPart } from "./gemini-api.js";
import { isGemini3OrLater } from "./gemini-model-family.js";

/** What the chat messages become in a Gemini request. */
export interface GeminiMessages {
  contents: GeminiContent[];
  systemInstruction?: { parts: Array<{ text: string }> };
}

/** Facts the conversion needs besides the messages. */
export interface ConvertMessagesOptions {
  /** The Gemini model id: Gemini 3 and later need a thought signature on replayed function calls. */
  readonly model: string;
  /** Whether https URLs other than Gemini Files API URIs may be sent as `fileData`. */
  readonly remoteFileUrls: boolean;
}

/**
 * Gemini's documented stand-in for a thought signature the client no longer has (a history written by
 * another model, or a client that dropped `extra_content`): without one, Gemini 3 refuses replayed function
 * calls with a 400. See https://ai.google.dev/gemini-api/docs/thought-signatures.
 */
export const SKIP_THOUGHT_SIGNATURE = "skip_thought_signature_validator";

const FILES_API_ORIGIN = "https://generativelanguage.googleapis.com";

const mimeByExtension: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  heic: "image/heic",
  heif: "image/heif",
  pdf: "application/pdf",
};

/**
 * OpenAI chat messages -> Gemini `contents` + `systemInstruction`:
 * - system and developer messages, wherever they are, join `systemInstruction` in order;
 * - user -> `user`, assistant -> `model`; tool results are `functionResponse` parts of a `user` turn;
 * - consecutive turns of one role are merged (Gemini wants the function responses of one step in one turn);
 * - a tool message names its function through the assistant's earlier `tool_calls` (Gemini matches
 *   responses by name, not by id).
 */
export function convertToGeminiMessages(
  messages: readonly ChatMessage[],
  options: ConvertMessagesOptions,
): GeminiMessages {
  const system: Array<{ text: string }> = [];
  const turns: GeminiContent[] = [];
  const toolNames = new Map<string, string>();
  const push = (role: GeminiContent["role"], parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else turns.push({ role, parts });
  };

  messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    switch (message.role) {
      case "system":
      case "developer": {
        const texts =
          typeof message.content === "string" ? [message.content] : message.content.map((part) => part.text);
        for (const text of texts) if (text !== "") system.push({ text });
        break;
      }
      case "user":
        push("user", userParts(message.content, param, options));
        break;
      case "assistant":
        push("model", assistantParts(message, param, options, toolNames));
        break;
      case "tool": {
        const name = toolNames.get(message.tool_call_id);
        if (name === undefined) {
          throw invalid(
            `${param}.tool_call_id`,
            `no earlier assistant message has a tool call with id '${message.tool_call_id}'; Gemini needs the function's name.`,
          );
        }
        push("user", [{ functionResponse: { name, response: functionResponse(textOf(message.content)) } }]);
        break;
      }
      case "function":
        push("user", [
          { functionResponse: { name: message.name, response: functionResponse(message.content ?? "") } },
        ]);
        break;
    }
  });

  if (turns.length === 0) {
    throw invalid(
      "messages",
      "Gemini needs at least one user, assistant or tool message besides the system prompt.",
    );
  }
  return system.length > 0 ? { contents: turns, systemInstruction: { parts: system } } : { contents: turns };
}

function userParts(
  content: string | readonly ContentPart[],
  param: string,
  options: ConvertMessagesOptions,
): GeminiPart[] {
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  const parts: GeminiPart[] = [];
  content.forEach((part, index) => {
    const at = `${param}.content[${index}]`;
    switch (part.type) {
      case "text":
        if (part.text !== "") parts.push({ text: part.text });
        break;
      case "image_url":
        parts.push(urlPart(part.image_url.url, `${at}.image_url.url`, options));
        break;
      case "input_audio":
        parts.push({
          inlineData: { mimeType: `audio/${part.input_audio.format}`, data: part.input_audio.data },
        });
        break;
      case "file": {
        const data = (part.file as { file_data?: unknown }).file_data;
        if (typeof data !== "string") {
          throw unsupported(
            `${at}.file`,
            "Gemini cannot read OpenAI file ids; send the file inline as `file_data` (a base64 data URL).",
          );
        }
        parts.push(urlPart(data, `${at}.file.file_data`, options));
        break;
      }
    }
  });
  return parts;
}

/** A data URL becomes `inlineData`; an https URL becomes `fileData` (Gemini fetches it). */
function urlPart(url: string, param: string, options: ConvertMessagesOptions): GeminiPart {
  if (url.startsWith("data:")) {
    const match = /^data:([^;,]+)(?:;[^;,]*)*;base64,(.*)$/s.exec(url);
    if (!match) throw invalid(param, "a data URL must be base64-encoded (`data:<mime>;base64,<data>`).");
    return { inlineData: { mimeType: match[1] as string, data: match[2] as string } };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(param, "not a URL.");
  }
  const isFilesApi = parsed.origin === FILES_API_ORIGIN && /\/files\/[^/]+$/.test(parsed.pathname);
  if (parsed.protocol !== "https:" || (!isFilesApi && !options.remoteFileUrls)) {
    throw unsupported(
      param,
      options.remoteFileUrls
        ? "Gemini fetches only https URLs; send the image as a base64 data URL instead."
        : "this gateway sends Gemini only Files API URIs and base64 data URLs; send the image as a data URL.",
    );
  }
  const extension = /\.([a-z0-9]+)$/i.exec(parsed.pathname)?.[1]?.toLowerCase();
  const mimeType = extension === undefined ? undefined : mimeByExtension[extension];
  return { fileData: mimeType === undefined ? { fileUri: url } : { mimeType, fileUri: url } };
}

function assistantParts(
  message: Extract<ChatMessage, { role: "assistant" }>,
  param: string,
  options: ConvertMessagesOptions,
  toolNames: Map<string, string>,
): GeminiPart[] {
  const parts: GeminiPart[] = [];
  const content = message.content;
  if (typeof content === "string") {
    if (content !== "") parts.push({ text: content });
  } else if (Array.isArray(content)) {
    for (const part of content) {
      const text = part.type === "text" ? part.text : part.refusal;
      if (text !== "") parts.push({ text });
    }
  }
  const calls: GeminiPart[] = (message.tool_calls ?? []).map((call, index) => {
    toolNames.set(call.id, call.function.name);
    const part: GeminiPart = {
      functionCall: { name: call.function.name, args: parseArguments(call.function.arguments, param, index) },
    };
    const signature = thoughtSignatureOf(call);
    if (signature !== undefined) part.thoughtSignature = signature;
    return part;
  });
  const first = calls[0];
  if (first && isGemini3OrLater(options.model) && calls.every((call) => !call.thoughtSignature)) {
    first.thoughtSignature = SKIP_THOUGHT_SIGNATURE;
  }
  return [...parts, ...calls];
}

/** The signature we handed out as `extra_content.google.thought_signature` (Google's OpenAI-compatible shape). */
function thoughtSignatureOf(call: Record<string, unknown>): string | undefined {
  const extra = call.extra_content as { google?: { thought_signature?: unknown } } | undefined;
  const signature = extra?.google?.thought_signature;
  return typeof signature === "string" && signature !== "" ? signature : undefined;
}

function parseArguments(text: string, param: string, index: number): Record<string, unknown> {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(`${param}.tool_calls[${index}].function.arguments`, "not valid JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw invalid(`${param}.tool_calls[${index}].function.arguments`, "Gemini takes a JSON object.");
  }
  return parsed as Record<string, unknown>;
}

/**
 * A tool result -> `functionResponse.response`, which must be an object. A JSON object is sent as it is;
 * anything else is wrapped as `{ "output": ... }`, the key Gemini documents for a function's output.
 */
function functionResponse(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
    return { output: parsed };
  } catch {
    return { output: text };
  }
}

function textOf(content: string | ReadonlyArray<{ text: string }>): string {
  return typeof content === "string" ? content : content.map((part) => part.text).join("");
}

function invalid(param: string, problem: string): SwitchyardError {
  return new SwitchyardError("SWY_ERR_REQUEST_INVALID", `Invalid '${param}': ${problem}`, { param });
}

function unsupported(param: string, problem: string): SwitchyardError {
  return new SwitchyardError("SWY_ERR_ROUTE_OPERATION_UNSUPPORTED", `Unsupported '${param}': ${problem}`, {
    param,
  });
}
