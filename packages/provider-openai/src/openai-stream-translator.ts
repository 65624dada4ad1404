import {
  type ChatCompletionChunk,
  type SseEvent,
  type StreamTranslator,
  SwitchyardError,
} from "@switchyard/core";

/**
 * OpenAI stream events are already canonical chunks: parse each one, stop at `[DONE]`, raise an error
 * event as a SwitchyardError. Used only when the fast path is off (a stream transform is tapped).
 */
export function createOpenAIStreamTranslator(providerName: string): StreamTranslator {
  let done = false;
  return {
    get done() {
      return done;
    },
    push(event: SseEvent): ChatCompletionChunk[] {
      if (event.data === "[DONE]") {
        done = true;
        return [];
      }
      let chunk: unknown;
      try {
        chunk = JSON.parse(event.data);
      } catch {
        throw new SwitchyardError(
          "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
          `${providerName}: malformed stream event.`,
        );
      }
      if (typeof chunk !== "object" || chunk === null) {
        throw new SwitchyardError(
          "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
          `${providerName}: malformed stream event.`,
        );
      }
      if ("error" in chunk) {
        const message = (chunk as { error?: { message?: unknown } }).error?.message;
        throw new SwitchyardError(
          "SWY_ERR_UPSTREAM_SERVER",
          `${providerName}: ${typeof message === "string" ? message : "error mid-stream"}`,
        );
      }
      if (!Array.isArray((chunk as { choices?: unknown }).choices)) {
        throw new SwitchyardError(
          "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
          `${providerName}: stream chunk has no choices.`,
        );
      }
      return [chunk as ChatCompletionChunk];
    },
  };
}
