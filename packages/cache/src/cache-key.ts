import { createHash } from "node:crypto";
import type { CanonicalRequest, ChatCompletionRequest, CompletionRequest, Operation } from "@switchyard/core";

/**
 * Request fields that never change the answer and so are left out of the key: end-user ids and
 * bookkeeping the provider stores or uses for routing its own prompt cache.
 */
export const DEFAULT_IGNORED_FIELDS: readonly string[] = Object.freeze([
  "user",
  "metadata",
  "store",
  "safety_identifier",
  "prompt_cache_key",
]);

/**
 * JSON with object keys sorted at every level and `undefined` members left out, so two requests that
 * differ only in field order or formatting serialise to the same text.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? "null" : canonicalJson(item))).join(",")}]`;
  }
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item !== undefined) parts.push(`${JSON.stringify(key)}:${canonicalJson(item)}`);
  }
  return `{${parts.join(",")}}`;
}

/** What a cache key is made of. */
export interface CacheKeyInput {
  /** Changing it starts a fresh cache (old entries are never found again). */
  readonly namespace: string;
  readonly operation: Operation;
  /** The API dialect the client speaks: answers are cached in its wire format. */
  readonly dialect: string;
  /** Who may share the entry: a principal id, a team, or `*` for everyone. */
  readonly scope: string;
  /**
   * The request as the key sees it: the canonical request for OpenAI-dialect clients; for other dialects
   * the client's own body (a dialect passthrough sends fields upstream that the canonical form drops).
   */
  readonly request: CanonicalRequest | Readonly<Record<string, unknown>>;
  readonly ignoredFields: ReadonlySet<string>;
}

/**
 * The key of a request: SHA-256 (base64url) of the canonical JSON of the request, less the ignored fields,
 * with its operation, scope and namespace. The model is the one the client asked for (an alias before
 * routing): the key is computed before routing runs.
 */
export function cacheKey(input: CacheKeyInput): string {
  const request: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(input.request)) {
    if (!input.ignoredFields.has(field)) request[field] = value;
  }
  // `"stream": false` is what leaving it out means (SDKs send either); stream options only count in a stream.
  if (request.stream !== true) {
    delete request.stream;
    delete request.stream_options;
  }
  const material = canonicalJson({
    n: input.namespace,
    d: input.dialect,
    o: input.operation,
    s: input.scope,
    r: request,
  });
  return createHash("sha256").update(material).digest("base64url");
}

/** A request split for the semantic cache: everything but the last prompt, and the last prompt's text. */
export interface SemanticParts {
  /** Key of the request with the last prompt blanked: only requests equal in all else may match. */
  readonly partition: string;
  /** The text compared by meaning: the last user message (chat) or the prompt (legacy completions). */
  readonly text: string;
}

const PLACEHOLDER = "\u0000switchyard-semantic-prompt";

/**
 * Splits a request for the semantic cache, or `undefined` when it has no single text prompt to compare
 * (the last chat message is not the user's, or holds images or audio; a prompt list; embeddings).
 */
export function semanticParts(input: CacheKeyInput): SemanticParts | undefined {
  let text: string | undefined;
  let blanked: CanonicalRequest | undefined;
  if (input.operation === "chat") {
    const request = input.request as ChatCompletionRequest;
    const messages = request.messages;
    if (!Array.isArray(messages)) return undefined;
    const last = messages.at(-1);
    if (last?.role !== "user") return undefined;
    text = textOf(last.content);
    if (text === undefined) return undefined;
    blanked = { ...request, messages: [...messages.slice(0, -1), { ...last, content: PLACEHOLDER }] };
  } else if (input.operation === "completions") {
    const request = input.request as CompletionRequest;
    if (typeof request.prompt !== "string") return undefined;
    text = request.prompt;
    blanked = { ...request, prompt: PLACEHOLDER };
  }
  if (text === undefined || blanked === undefined || text.trim() === "") return undefined;
  return { partition: cacheKey({ ...input, request: blanked }), text };
}

function textOf(content: unknown): string | undefined {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return undefined;
  const texts: string[] = [];
  for (const part of content as Array<{ type?: unknown; text?: unknown }>) {
    if (part.type !== "text" || typeof part.text !== "string") return undefined;
    texts.push(part.text);
  }
  return texts.join("\n");
}
