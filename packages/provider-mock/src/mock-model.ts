/**
 * The deterministic fake model behind the mock upstream: token counting, reply text, completion limits and
 * tool-call arguments. Everything here is a pure function of its input so that tests (and the gateway's mock
 * provider) can compute the exact text and usage a request will get.
 *
 * @packageDocumentation
 */

const WHITESPACE = 0;
const WORD = 1;
const SYMBOL = 2;

// Only consulted for non-ASCII code points; ASCII is classified by range checks, which keeps counting a large
// prompt cheap enough for load benchmarks.
const NON_ASCII_WHITESPACE = /\s/;
const NON_ASCII_WORD = /[\p{L}\p{N}\p{M}]/u;

function classifyCodePoint(codePoint: number): number {
  if (codePoint < 128) {
    if (codePoint === 32 || (codePoint >= 9 && codePoint <= 13)) return WHITESPACE;
    const isWord =
      (codePoint >= 48 && codePoint <= 57) ||
      (codePoint >= 65 && codePoint <= 90) ||
      (codePoint >= 97 && codePoint <= 122) ||
      codePoint === 95;
    return isWord ? WORD : SYMBOL;
  }
  const character = String.fromCodePoint(codePoint);
  if (NON_ASCII_WHITESPACE.test(character)) return WHITESPACE;
  return NON_ASCII_WORD.test(character) ? WORD : SYMBOL;
}

/**
 * Walks `text` once, reporting where each token ends. Counting and splitting share this walk so that they can
 * never disagree about what a token is.
 */
function scanTokens(text: string, onTokenEnd?: (end: number) => void): number {
  let count = 0;
  let inWord = false;
  let index = 0;
  while (index < text.length) {
    const codePoint = text.codePointAt(index) ?? 0;
    const width = codePoint > 0xffff ? 2 : 1;
    const kind = classifyCodePoint(codePoint);
    if (kind === WORD) {
      if (!inWord) count += 1;
      inWord = true;
    } else {
      if (inWord) onTokenEnd?.(index);
      inWord = false;
      if (kind === SYMBOL) {
        count += 1;
        onTokenEnd?.(index + width);
      }
    }
    index += width;
  }
  if (inWord) onTokenEnd?.(text.length);
  return count;
}

/**
 * Counts tokens the way the mock model does, for `prompt_tokens` and `completion_tokens`.
 *
 * The rule: a token is a maximal run of letters, digits, combining marks and underscores, or any other single
 * non-whitespace character; whitespace is free. So `"hello world"` is 2 tokens, `"Hello, world!"` is 4 and
 * `'{"a":1}'` is 7. A generated reply of N words is exactly N tokens.
 *
 * @param text - Any text.
 * @returns The number of tokens in `text`.
 */
export function countTokens(text: string): number {
  return scanTokens(text);
}

/**
 * Splits `text` into per-token pieces, each holding one token and the whitespace before it (the last piece
 * also keeps any trailing whitespace), so that `splitTokens(text).join("") === text`. Streams send these
 * pieces as content deltas. A text without any token is returned as a single piece.
 *
 * @param text - Any text.
 * @returns The pieces, one per token as defined by {@link countTokens}.
 */
export function splitTokens(text: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  scanTokens(text, (end) => {
    pieces.push(text.slice(start, end));
    start = end;
  });
  if (start < text.length) {
    if (pieces.length === 0) return [text];
    pieces[pieces.length - 1] += text.slice(start);
  }
  return pieces;
}

/**
 * Hashes text with 32-bit FNV-1a over UTF-16 code units: cheap, synchronous and stable across runs, which is
 * all the mock needs to seed its replies and embeddings.
 *
 * @param text - The text to hash.
 * @returns An unsigned 32-bit hash.
 */
export function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Hashes a list of token ids (the array forms of `prompt` and `input`) with the same FNV-1a mixing as
 * {@link hashText}.
 *
 * @param tokenIds - Token ids.
 * @returns An unsigned 32-bit hash.
 */
export function hashTokenIds(tokenIds: readonly number[]): number {
  let hash = 0x811c9dc5;
  for (const tokenId of tokenIds) {
    hash ^= tokenId | 0;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Creates a deterministic pseudo-random generator (mulberry32) so that replies, embeddings and fault
 * sequences repeat exactly for the same seed, which `Math.random` cannot give.
 *
 * @param seed - Any 32-bit integer.
 * @returns A function returning numbers in `[0, 1)`.
 */
export function createSeededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The vocabulary of the mock model. Plain lowercase words only, so a reply of N words is exactly N tokens.
 */
export const MOCK_WORDS: readonly string[] = Object.freeze([
  "signal",
  "track",
  "switch",
  "yard",
  "engine",
  "freight",
  "platform",
  "junction",
  "route",
  "carriage",
  "station",
  "timetable",
  "sleeper",
  "rail",
  "points",
  "shunter",
  "siding",
  "depot",
  "coupling",
  "brake",
  "whistle",
  "lantern",
  "gauge",
  "ballast",
  "viaduct",
  "tunnel",
  "crossing",
  "loop",
  "mainline",
  "branch",
  "terminus",
  "wagon",
  "tender",
  "boiler",
  "piston",
  "throttle",
  "semaphore",
  "lever",
  "cabin",
  "token",
  "dispatch",
  "manifest",
  "cargo",
  "parcel",
  "express",
  "local",
  "night",
  "morning",
  "north",
  "south",
  "east",
  "west",
  "steady",
  "quiet",
  "swift",
  "early",
  "late",
  "green",
  "amber",
  "red",
  "clear",
  "ready",
  "onward",
  "home",
]);

/**
 * Mixes a choice index into a prompt seed. Choice 0 keeps the prompt's own seed, so `n: 1` and the first of
 * `n: 3` give the same text.
 *
 * @param seed - The prompt seed (from {@link hashText} or {@link hashTokenIds}).
 * @param choiceIndex - The choice index.
 * @returns The seed for that choice.
 */
export function choiceSeed(seed: number, choiceIndex: number): number {
  return (seed ^ Math.imul(choiceIndex, 0x9e3779b1)) >>> 0;
}

/**
 * Generates the mock model's reply: `tokenCount` words from {@link MOCK_WORDS}, separated by single spaces,
 * picked by a generator seeded with `seed`.
 *
 * @param seed - Usually `choiceSeed(hashText(lastUserMessageText), choiceIndex)`.
 * @param tokenCount - Number of words (and so tokens) to generate.
 * @returns The reply text.
 */
export function generateReplyText(seed: number, tokenCount: number): string {
  const random = createSeededRandom(seed);
  const words: string[] = [];
  for (let index = 0; index < tokenCount; index += 1) {
    words.push(MOCK_WORDS[Math.floor(random() * MOCK_WORDS.length)] ?? "");
  }
  return words.join(" ");
}

/** Why generation ended, in OpenAI's `finish_reason` terms. */
export type MockFinishReason = "stop" | "length";

/** A reply after `max_tokens` and `stop` have been applied. */
export interface MockCompletion {
  /** The final text. */
  readonly text: string;
  /** `text` split by {@link splitTokens}, ready to stream. */
  readonly pieces: readonly string[];
  /** `"length"` when `maxTokens` cut the reply, otherwise `"stop"`. */
  readonly finishReason: MockFinishReason;
}

/** Generation limits taken from the request. */
export interface MockCompletionLimits {
  /** `max_completion_tokens` or `max_tokens`; no limit when undefined. */
  readonly maxTokens?: number | undefined;
  /** Stop sequences; empty strings are ignored. */
  readonly stop?: readonly string[] | undefined;
}

/**
 * Applies `max_tokens` and `stop` to a full reply the way a model would meet them while generating: the text
 * is first cut to `maxTokens` tokens, then, if a stop sequence occurs in what remains, cut right before its
 * earliest occurrence (the sequence itself is not returned) with finish reason `"stop"`.
 *
 * @param fullText - The reply the model would give without limits.
 * @param limits - The request's limits.
 * @returns The final text, its pieces and the finish reason.
 */
export function limitCompletion(fullText: string, limits: MockCompletionLimits = {}): MockCompletion {
  let pieces = splitTokens(fullText);
  let truncated = false;
  if (limits.maxTokens !== undefined && pieces.length > limits.maxTokens) {
    pieces = pieces.slice(0, limits.maxTokens);
    truncated = true;
  }
  const text = truncated ? pieces.join("") : fullText;
  let stopAt = -1;
  for (const sequence of limits.stop ?? []) {
    if (sequence === "") continue;
    const index = text.indexOf(sequence);
    if (index !== -1 && (stopAt === -1 || index < stopAt)) stopAt = index;
  }
  if (stopAt !== -1) {
    const stopped = text.slice(0, stopAt);
    return { text: stopped, pieces: splitTokens(stopped), finishReason: "stop" };
  }
  return { text, pieces, finishReason: truncated ? "length" : "stop" };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sampleValue(schema: unknown): unknown {
  if (!isRecord(schema)) return null;
  // An enum or const value keeps the arguments valid against the schema where a placeholder would not.
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type = types.find((candidate) => candidate !== "null");
  if (type === "string") return "mock";
  if (type === "number" || type === "integer") return 1;
  if (type === "boolean") return true;
  return null;
}

/**
 * Builds the deterministic arguments of a mock tool call from a function's JSON Schema `parameters`: every
 * required property gets `"mock"` if it is a string, `1` if a number or integer, `true` if a boolean, the
 * first value of its `enum` (or its `const`) when it has one, and `null` otherwise. Optional properties are
 * left out.
 *
 * @param parameters - The function's `parameters` schema, if any.
 * @returns The arguments as compact JSON, e.g. `{"city":"mock","days":1}`.
 */
export function buildToolArguments(parameters: unknown): string {
  const argumentsObject: Record<string, unknown> = {};
  if (isRecord(parameters) && Array.isArray(parameters.required)) {
    const properties = isRecord(parameters.properties) ? parameters.properties : {};
    for (const name of parameters.required) {
      if (typeof name === "string") argumentsObject[name] = sampleValue(properties[name]);
    }
  }
  return JSON.stringify(argumentsObject);
}

/**
 * Extracts the countable text of one chat message: its string content, or the `text` of its content parts,
 * plus the name and arguments of any tool calls it carries.
 *
 * @param message - A chat message as sent in `messages`.
 * @returns The text, parts separated by single spaces.
 */
export function chatMessageText(message: unknown): string {
  if (!isRecord(message)) return "";
  const parts: string[] = [];
  const { content } = message;
  if (typeof content === "string") {
    parts.push(content);
  } else if (Array.isArray(content)) {
    for (const part of content) {
      if (isRecord(part) && typeof part.text === "string") parts.push(part.text);
    }
  }
  if (Array.isArray(message.tool_calls)) {
    for (const toolCall of message.tool_calls) {
      const called = isRecord(toolCall) && isRecord(toolCall.function) ? toolCall.function : undefined;
      if (typeof called?.name === "string") parts.push(called.name);
      if (typeof called?.arguments === "string") parts.push(called.arguments);
    }
  }
  return parts.join(" ");
}

/**
 * Counts the prompt tokens of a chat request: the sum of {@link countTokens} over {@link chatMessageText} of
 * every message. Roles, message framing and tool definitions are free.
 *
 * @param messages - The request's `messages`.
 * @returns The `prompt_tokens` the mock upstream reports.
 */
export function countChatPromptTokens(messages: readonly unknown[]): number {
  let total = 0;
  for (const message of messages) total += countTokens(chatMessageText(message));
  return total;
}
