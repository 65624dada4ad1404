import type { DialectPassthrough, SseEvent, SwitchyardError, Usage } from "@switchyard/core";
import { type AnthropicUsage, anthropicStreamError, toOpenAIUsage } from "@switchyard/provider-anthropic";

const USAGE_KEYS = [
  "input_tokens",
  "output_tokens",
  "cache_read_input_tokens",
  "cache_creation_input_tokens",
] as const;

function readUsage(into: AnthropicUsage, value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const source = value as Record<string, unknown>;
  let found = false;
  for (const key of USAGE_KEYS) {
    const count = source[key];
    if (typeof count === "number") {
      into[key] = count;
      found = true;
    }
  }
  return found;
}

function parse(data: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(data);
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Usage of a complete Messages API answer, in canonical form (for limits, cost and metrics). */
export function messagesUsageOf(body: unknown): Usage | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const usage: AnthropicUsage = {};
  return readUsage(usage, (body as { usage?: unknown }).usage) ? toOpenAIUsage(usage) : undefined;
}

// Events the watcher has no need to parse: the bulk of a stream. Their `event:` line says what they are.
const SKIPPED = new Set(["content_block_delta", "content_block_start", "content_block_stop", "ping"]);

/**
 * Watches a Messages API stream relayed byte for byte: usage from `message_start` and `message_delta`
 * (cumulative counts, the latest of each wins), the end at `message_stop`, and an `error` event as the
 * SwitchyardError its type means (`overloaded_error` -> `SWY_ERR_UPSTREAM_OVERLOADED`, ...). Content events
 * are recognised by their `event:` line and not parsed.
 */
export function createMessagesStreamWatcher(): ReturnType<DialectPassthrough["createStreamWatcher"]> {
  const usage: AnthropicUsage = {};
  let sawUsage = false;
  let done = false;
  let error: SwitchyardError | undefined;
  return {
    get usage() {
      return sawUsage ? toOpenAIUsage(usage) : undefined;
    },
    get done() {
      return done;
    },
    get error() {
      return error;
    },
    push(event: SseEvent): void {
      if (done || error) return;
      if (event.event !== undefined && SKIPPED.has(event.event)) return;
      const data = parse(event.data);
      const type = typeof data?.type === "string" ? data.type : event.event;
      if (type === "message_start") {
        sawUsage = readUsage(usage, (data?.message as { usage?: unknown } | undefined)?.usage) || sawUsage;
      } else if (type === "message_delta") {
        sawUsage = readUsage(usage, data?.usage) || sawUsage;
      } else if (type === "message_stop") {
        done = true;
      } else if (type === "error") {
        error = anthropicStreamError(data, "anthropic");
      }
    },
  };
}

/** The Anthropic dialect's passthrough: to a provider of dialect `anthropic`, bytes go through untouched. */
export const messagesPassthrough: DialectPassthrough = Object.freeze({
  providerDialect: "anthropic",
  usageOf: messagesUsageOf,
  createStreamWatcher: createMessagesStreamWatcher,
});
