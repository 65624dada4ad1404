import type { CanonicalRequest, CanonicalResponse } from "@switchyard/core";

/** Rewrites one piece of text. */
export type TextMap = (text: string) => string;

type Loose = Record<string, unknown>;

const isObject = (value: unknown): value is Loose => typeof value === "object" && value !== null;

function mapList<T>(list: readonly T[], map: (item: T) => T): readonly T[] {
  let out: T[] | undefined;
  for (let index = 0; index < list.length; index++) {
    const item = list[index] as T;
    const mapped = map(item);
    if (mapped !== item) {
      out ??= list.slice();
      out[index] = mapped;
    }
  }
  return out ?? list;
}

function mapContent(content: unknown, map: TextMap): unknown {
  if (typeof content === "string") return map(content);
  if (!Array.isArray(content)) return content;
  return mapList(content as unknown[], (part) => {
    if (!isObject(part) || part.type !== "text" || typeof part.text !== "string") return part;
    const text = map(part.text);
    return text === part.text ? part : { ...part, text };
  });
}

function mapStrings(value: unknown, map: TextMap): unknown {
  if (typeof value === "string") return map(value);
  if (Array.isArray(value))
    return mapList(value as unknown[], (item) => (typeof item === "string" ? map(item) : item));
  return value;
}

/**
 * Applies `map` to every text a model reads in a request: chat message contents (strings and text parts,
 * every role), a legacy completion's `prompt` and `suffix`, an embedding's `input` strings. Not: tool call
 * arguments, tool definitions, images, audio, files, token-id inputs. Returns `request` itself when
 * nothing changed.
 */
export function mapRequestText(request: CanonicalRequest, map: TextMap): CanonicalRequest {
  const loose = request as unknown as Loose;
  if (Array.isArray(loose.messages)) {
    const messages = mapList(loose.messages as unknown[], (message) => {
      if (!isObject(message) || !("content" in message)) return message;
      const content = mapContent(message.content, map);
      return content === message.content ? message : { ...message, content };
    });
    return messages === loose.messages ? request : ({ ...loose, messages } as unknown as CanonicalRequest);
  }
  if ("prompt" in loose) {
    const prompt = mapStrings(loose.prompt, map);
    const suffix = typeof loose.suffix === "string" ? map(loose.suffix) : loose.suffix;
    if (prompt === loose.prompt && suffix === loose.suffix) return request;
    return { ...loose, prompt, ...(suffix === undefined ? {} : { suffix }) } as unknown as CanonicalRequest;
  }
  if ("input" in loose) {
    const input = mapStrings(loose.input, map);
    return input === loose.input ? request : ({ ...loose, input } as unknown as CanonicalRequest);
  }
  return request;
}

/**
 * Applies `map` to the text of a complete answer: each chat choice's `message.content`, each legacy
 * completion choice's `text`. Embeddings and tool call arguments are left alone. Returns `response` itself
 * when nothing changed.
 */
export function mapResponseText(response: CanonicalResponse, map: TextMap): CanonicalResponse {
  const loose = response as unknown as Loose;
  if (!Array.isArray(loose.choices)) return response;
  const choices = mapList(loose.choices as unknown[], (choice) => {
    if (!isObject(choice)) return choice;
    if (typeof choice.text === "string") {
      const text = map(choice.text);
      return text === choice.text ? choice : { ...choice, text };
    }
    const message = choice.message;
    if (!isObject(message) || typeof message.content !== "string") return choice;
    const content = map(message.content);
    return content === message.content ? choice : { ...choice, message: { ...message, content } };
  });
  return choices === loose.choices ? response : ({ ...loose, choices } as unknown as CanonicalResponse);
}
