import {
  type ChatCompletionChunk,
  type SseEvent,
  type StreamTranslator,
  SwitchyardError,
} from "@switchyard/core";
import { mapReplicateFinishReason } from "./map-replicate-finish-reason.js";
import { type Prediction, replicateStreamEvents, syntheticEvents } from "./replicate-api.js";
import { predictionError, streamErrorMessage } from "./replicate-error.js";
import { createdOf, maxTokensOf, readPrediction, usageOf } from "./replicate-response.js";

/**
 * Translates a prediction's event stream, as the provider relays it, into `chat.completion.chunk`s:
 * - `switchyard-prediction-started` (the created prediction): id, model and input, nothing emitted;
 * - `output`: a content delta (the first carries `role: "assistant"`);
 * - `error`: throws; `done` with reason `canceled` or `error`: throws; plain `done`: remembered;
 * - `switchyard-prediction-finished` after `done` (the finished prediction, or `{}` when it could not be
 *   read): the finish chunk and the usage chunk (`choices: []`), then the stream is done.
 * Other events (Replicate may add some) are ignored.
 */
export function createReplicateStreamTranslator(model: string, providerName: string): StreamTranslator {
  let done = false;
  let sawDone = false;
  let started: Prediction | undefined;
  let roleSent = false;
  let outputChars = "";
  const fallbackId = `chatcmpl-${Math.random().toString(36).slice(2, 14)}`;
  const chunk = (
    choices: ChatCompletionChunk["choices"],
    extra: Partial<ChatCompletionChunk> = {},
  ): ChatCompletionChunk => ({
    id: started ? `chatcmpl-${started.id}` : fallbackId,
    object: "chat.completion.chunk",
    created: createdOf(started),
    model: started?.model ?? model,
    choices,
    ...extra,
  });
  const delta = (content: string): ChatCompletionChunk => {
    const first = !roleSent;
    roleSent = true;
    return chunk([
      {
        index: 0,
        delta: first ? { role: "assistant", content } : { content },
        logprobs: null,
        finish_reason: null,
      },
    ]);
  };
  return {
    get done() {
      return done;
    },
    push(event: SseEvent): ChatCompletionChunk[] {
      if (done) return [];
      switch (event.event) {
        case syntheticEvents.started:
          started = readPrediction(parseJson(event.data, providerName), providerName);
          return [];
        case replicateStreamEvents.output:
          if (event.data === "" && roleSent) return [];
          outputChars += event.data;
          return [delta(event.data)];
        case replicateStreamEvents.error:
          throw new SwitchyardError(
            "SWY_ERR_UPSTREAM_SERVER",
            `${providerName}: ${streamErrorMessage(event.data)}`,
          );
        case replicateStreamEvents.done: {
          const reason = doneReason(event.data);
          if (reason === "canceled" || reason === "error") {
            throw predictionError(
              { id: started?.id ?? "(unknown)", status: reason === "canceled" ? "canceled" : "failed" },
              providerName,
            );
          }
          sawDone = true;
          return [];
        }
        case syntheticEvents.finished: {
          if (!sawDone) return [];
          const parsed = parseJson(event.data, providerName);
          const finished =
            typeof parsed === "object" && parsed !== null && "id" in parsed
              ? readPrediction(parsed, providerName)
              : undefined;
          if (
            finished &&
            finished.status !== "succeeded" &&
            finished.status !== "starting" &&
            finished.status !== "processing"
          ) {
            throw predictionError(finished, providerName);
          }
          const input = finished?.input ?? started?.input;
          const usage = usageOf(finished, input, outputChars);
          const finish = mapReplicateFinishReason(finished?.metrics?.output_token_count, maxTokensOf(input));
          done = true;
          const out: ChatCompletionChunk[] = roleSent ? [] : [delta("")];
          out.push(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finish }]));
          out.push(chunk([], { usage }));
          return out;
        }
        default:
          return [];
      }
    },
  };
}

function doneReason(data: string): string | undefined {
  try {
    const parsed = JSON.parse(data) as { reason?: unknown };
    return typeof parsed?.reason === "string" ? parsed.reason : undefined;
  } catch {
    return undefined;
  }
}

function parseJson(data: string, providerName: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    throw new SwitchyardError(
      "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
      `${providerName}: malformed stream event.`,
    );
  }
}
