import { type ChatCompletionRequest, SwitchyardError } from "@switchyard/core";
import type { AnthropicMessagesRequest } from "./anthropic-api.js";
import { convertToAnthropicMessages } from "./convert-to-anthropic-messages.js";
import { prepareAnthropicTools } from "./prepare-anthropic-tools.js";

/** What the request conversion needs besides the request. */
export interface AnthropicRequestSettings {
  /** The provider-side model id. */
  readonly model: string;
  /** `max_tokens` when the client set neither `max_completion_tokens` nor `max_tokens`. */
  readonly defaultMaxTokens: number;
}

/** The Anthropic body, and the tool standing in for `response_format` (its input is the answer). */
export interface ConvertedRequest {
  readonly body: AnthropicMessagesRequest;
  readonly responseTool: string | undefined;
}

// OpenAI fields that change what the client gets back and that the Messages API cannot do: refused, with the
// field named, rather than silently ignored.
const unsupportedFields: ReadonlyArray<
  readonly [field: string, applies: (value: unknown) => boolean, what: string]
> = [
  ["n", (value) => typeof value === "number" && value > 1, "several choices (n > 1)"],
  ["logprobs", (value) => value === true, "log probabilities"],
  ["top_logprobs", (value) => typeof value === "number" && value > 0, "log probabilities"],
  ["logit_bias", (value) => isObject(value) && Object.keys(value).length > 0, "logit_bias"],
  ["audio", (value) => value !== null && value !== undefined, "audio output"],
  [
    "modalities",
    (value) => Array.isArray(value) && value.some((modality) => modality !== "text"),
    "output modalities other than text",
  ],
  ["functions", (value) => Array.isArray(value) && value.length > 0, "the legacy 'functions'; send 'tools'"],
  [
    "function_call",
    (value) => value !== null && value !== undefined,
    "the legacy 'function_call'; send 'tool_choice'",
  ],
  [
    "reasoning_effort",
    (value) => value !== null && value !== undefined,
    "'reasoning_effort' (extended thinking is not exposed through this gateway)",
  ],
  ["web_search_options", (value) => value !== null && value !== undefined, "'web_search_options'"],
];

/**
 * Builds the body of `POST /v1/messages` from an OpenAI chat request. The body is written field by field, so
 * nothing OpenAI-only can reach the API (which refuses unknown fields):
 *
 * - `model` is the routed model; `max_tokens` is always set: `max_completion_tokens`, else `max_tokens`, else
 *   the provider's default for the model.
 * - `stop` -> `stop_sequences`; `user` -> `metadata.user_id`; `stream` -> `stream`.
 * - `temperature` is clamped to Anthropic's 0..1 (OpenAI allows 0..2): values up to 1 mean what they mean to
 *   OpenAI users and keep their meaning, values above 1 become 1, the most varied Anthropic allows. (Scaling
 *   by 1/2 would turn the common 0.7 or 1 into something else.) `top_p` passes as is; `top_k`, an Anthropic
 *   parameter some OpenAI clients send, passes when it is a non-negative integer.
 * - Dropped as sampling hints with no equivalent: `seed`, `presence_penalty`, `frequency_penalty`; dropped as
 *   OpenAI bookkeeping: `stream_options` (usage always comes), `store`, `metadata`, `service_tier`,
 *   `prediction`, `verbosity`, and any field this provider does not know.
 * - Refused (`SWY_ERR_ROUTE_OPERATION_UNSUPPORTED`, `param` names the field): `n > 1`, `logprobs`,
 *   `top_logprobs`, `logit_bias`, audio, the legacy `functions`/`function_call`, `reasoning_effort`,
 *   `web_search_options`.
 */
export function convertToAnthropicRequest(
  request: ChatCompletionRequest,
  settings: AnthropicRequestSettings,
): ConvertedRequest {
  const fields = request as Record<string, unknown>;
  for (const [field, applies, what] of unsupportedFields) {
    if (applies(fields[field])) {
      throw new SwitchyardError(
        "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED",
        `The Anthropic Messages API does not support ${what} ('${field}').`,
        { param: field },
      );
    }
  }
  const { system, messages } = convertToAnthropicMessages(request.messages);
  const { tools, toolChoice, responseTool } = prepareAnthropicTools(request);
  const stop = request.stop;
  const topK = fields.top_k;

  const body: AnthropicMessagesRequest = {
    model: settings.model,
    max_tokens: request.max_completion_tokens ?? request.max_tokens ?? settings.defaultMaxTokens,
    ...(system ? { system } : {}),
    messages,
    ...(tools ? { tools } : {}),
    ...(toolChoice ? { tool_choice: toolChoice } : {}),
    ...(stop !== null && stop !== undefined
      ? { stop_sequences: typeof stop === "string" ? [stop] : [...stop] }
      : {}),
    ...(typeof request.temperature === "number" ? { temperature: Math.min(request.temperature, 1) } : {}),
    ...(typeof request.top_p === "number" ? { top_p: request.top_p } : {}),
    ...(typeof topK === "number" && Number.isInteger(topK) && topK >= 0 ? { top_k: topK } : {}),
    ...(request.user ? { metadata: { user_id: request.user } } : {}),
    ...(request.stream ? { stream: true } : {}),
  };
  return { body, responseTool };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
