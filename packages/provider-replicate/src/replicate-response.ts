import { type ChatCompletionResponse, SwitchyardError, type Usage } from "@switchyard/core";
import { mapReplicateFinishReason } from "./map-replicate-finish-reason.js";
import { type Prediction, predictionSchema } from "./replicate-api.js";
import { predictionError } from "./replicate-error.js";

/** Reads a prediction object; throws `SWY_ERR_UPSTREAM_INVALID_RESPONSE` when it is not one. */
export function readPrediction(value: unknown, providerName: string): Prediction {
  const result = predictionSchema.safeParse(value);
  if (!result.success) {
    throw new SwitchyardError(
      "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
      `${providerName}: the answer is not a prediction (no id or status).`,
    );
  }
  return result.data;
}

/** A language model's output as text: an array of pieces is joined, a string kept, null is empty. */
export function outputText(output: unknown, providerName: string): string {
  if (output === null || output === undefined) return "";
  if (typeof output === "string") return output;
  if (Array.isArray(output) && output.every((piece) => typeof piece === "string")) return output.join("");
  throw new SwitchyardError(
    "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
    `${providerName}: the model's output is not text (is it a language model?).`,
  );
}

/** Rough token count for text a model reported none for: about four characters a token. */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}

/** The prompt text an input carries, for estimates: `prompt` plus `system_prompt`. */
export function promptText(input: Record<string, unknown> | null | undefined): string {
  const prompt = typeof input?.prompt === "string" ? input.prompt : "";
  const system = typeof input?.system_prompt === "string" ? input.system_prompt : "";
  return system + prompt;
}

/** The token limit an input carries (`max_tokens`, or `max_new_tokens` on older models). */
export function maxTokensOf(input: Record<string, unknown> | null | undefined): unknown {
  return input?.max_tokens ?? input?.max_new_tokens;
}

/**
 * Usage from the prediction's metrics (`input_token_count`, `output_token_count`) where the model reports
 * them, otherwise estimated from the prompt and output text (four characters a token).
 */
export function usageOf(
  prediction: Prediction | undefined,
  input: Record<string, unknown> | null | undefined,
  text: string,
): Usage {
  const metrics = prediction?.metrics;
  const prompt = metrics?.input_token_count ?? estimateTokens(promptText(input));
  const completion = metrics?.output_token_count ?? estimateTokens(text);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** Seconds since the epoch of a prediction's `created_at`, or now. */
export function createdOf(prediction: Prediction | undefined): number {
  const parsed = prediction?.created_at ? Date.parse(prediction.created_at) : Number.NaN;
  return Math.floor((Number.isNaN(parsed) ? Date.now() : parsed) / 1000);
}

/** A finished prediction -> the canonical chat completion; a failed one -> its error. */
export function toChatCompletion(
  prediction: Prediction,
  model: string,
  providerName: string,
): ChatCompletionResponse {
  if (prediction.status !== "succeeded") {
    if (prediction.status === "starting" || prediction.status === "processing") {
      throw new SwitchyardError(
        "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
        `${providerName}: the prediction ${prediction.id} has not finished.`,
      );
    }
    throw predictionError(prediction, providerName);
  }
  const text = outputText(prediction.output, providerName);
  const usage = usageOf(prediction, prediction.input, text);
  return {
    id: `chatcmpl-${prediction.id}`,
    object: "chat.completion",
    created: createdOf(prediction),
    model: prediction.model ?? model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: text, refusal: null },
        logprobs: null,
        finish_reason: mapReplicateFinishReason(
          prediction.metrics?.output_token_count,
          maxTokensOf(prediction.input),
        ),
      },
    ],
    usage,
  };
}
