import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  CompletionRequest,
} from "./canonical-schemas.js";
import type { CompletionResponse } from "./canonical-types.js";
import { SwitchyardError } from "./errors.js";

// The legacy `/v1/completions` API served by a chat-only model: the prompt becomes one user message and
// the answer is shaped back into `text_completion` objects. Fields chat has no equivalent for (`suffix`,
// `echo`, `logprobs`, `best_of`) are refused rather than silently ignored.

const chatOnlyUnsupported = ["suffix", "echo", "best_of", "logprobs"] as const;

/** A text-completion request -> the equivalent chat request. */
export function completionToChatRequest(request: CompletionRequest): ChatCompletionRequest {
  for (const field of chatOnlyUnsupported) {
    const value = (request as Record<string, unknown>)[field];
    if (value !== undefined && value !== null && value !== false) {
      throw new SwitchyardError(
        "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED",
        `'${field}' needs a model with native text completions; this model is served through chat.`,
        { param: field },
      );
    }
  }
  const prompts = typeof request.prompt === "string" ? [request.prompt] : request.prompt;
  if (prompts.length !== 1) {
    throw new SwitchyardError(
      "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED",
      "Several prompts in one request need a model with native text completions.",
      { param: "prompt" },
    );
  }
  const { prompt: _prompt, suffix: _suffix, echo: _echo, ...rest } = request;
  return { ...rest, messages: [{ role: "user", content: prompts[0] as string }] } as ChatCompletionRequest;
}

/** A chat response -> the text-completion response the client asked for. */
export function chatToCompletionResponse(response: ChatCompletionResponse): CompletionResponse {
  return {
    id: response.id,
    object: "text_completion",
    created: response.created,
    model: response.model,
    choices: response.choices.map((choice) => ({
      text: choice.message.content ?? "",
      index: choice.index,
      logprobs: null,
      finish_reason: choice.finish_reason,
    })),
    ...(response.usage ? { usage: response.usage } : {}),
  };
}

/** A chat chunk -> a streamed text-completion chunk. */
export function chatToCompletionChunk(chunk: ChatCompletionChunk): Record<string, unknown> {
  return {
    id: chunk.id,
    object: "text_completion",
    created: chunk.created,
    model: chunk.model,
    choices: chunk.choices.map((choice) => ({
      text: choice.delta.content ?? "",
      index: choice.index,
      logprobs: null,
      finish_reason: choice.finish_reason ?? null,
    })),
    ...(chunk.usage ? { usage: chunk.usage } : {}),
  };
}
