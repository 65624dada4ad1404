import { z } from "zod";

// Replicate's predictions API (https://replicate.com/docs/reference/http): a prediction is created, then
// read (the create call can wait for it with `Prefer: wait=n`, else `urls.get` is polled), or streamed from
// `urls.stream` as server-sent events. Schemas are loose: Replicate adds fields, and none is dropped.

/** Where Replicate's API lives. */
export const REPLICATE_BASE_URL = "https://api.replicate.com/v1";

/** A prediction's lifecycle states. `aborted`: a `Cancel-After` deadline passed before it started. */
export const predictionStatuses = [
  "starting",
  "processing",
  "succeeded",
  "failed",
  "canceled",
  "aborted",
] as const;

/** The states a prediction does not leave. */
export const terminalStatuses: ReadonlySet<string> = new Set(["succeeded", "failed", "canceled", "aborted"]);

/** `metrics` of a language model's prediction (official models report token counts). */
export const predictionMetricsSchema = z.looseObject({
  input_token_count: z.number().int().nonnegative().optional(),
  output_token_count: z.number().int().nonnegative().optional(),
  predict_time: z.number().optional(),
  time_to_first_token: z.number().optional(),
  tokens_per_second: z.number().optional(),
  total_time: z.number().optional(),
});

/** The prediction object `POST .../predictions` and `GET urls.get` answer with. */
export const predictionSchema = z.looseObject({
  id: z.string().min(1),
  model: z.string().optional(),
  version: z.string().optional(),
  input: z.record(z.string(), z.unknown()).nullable().optional(),
  /** Language models return an array of text pieces (sometimes one string); null until done. */
  output: z.unknown().optional(),
  error: z.unknown().optional(),
  status: z.string(),
  created_at: z.string().nullable().optional(),
  metrics: predictionMetricsSchema.nullable().optional(),
  urls: z
    .looseObject({
      get: z.string().optional(),
      cancel: z.string().optional(),
      stream: z.string().optional(),
      web: z.string().optional(),
    })
    .optional(),
});

export type Prediction = z.infer<typeof predictionSchema>;

/**
 * Replicate's error body: problem details (`{"title","detail","status"}`, 422 adds `invalid_fields`) or, for
 * rate limits and older endpoints, `{"detail": "..."}`.
 */
export const replicateErrorBodySchema = z.looseObject({
  title: z.string().optional(),
  detail: z.unknown().optional(),
  status: z.number().optional(),
  error: z.unknown().optional(),
  message: z.string().optional(),
});

/** The create request body. `version` only on `POST /predictions`; official models take just `input`. */
export interface ReplicateCreateBody {
  version?: string;
  input: Record<string, unknown>;
}

/**
 * Event names on `urls.stream`: `output` (a piece of text, raw, several `data:` lines when it spans lines),
 * `error` (the prediction failed), `done` (`{}` or `{"reason":"canceled"|"error"}`).
 */
export const replicateStreamEvents = { output: "output", error: "error", done: "done" } as const;

/**
 * Events this provider adds around Replicate's own so the stream translator sees the whole prediction: the
 * created prediction before the first upstream byte, the finished one (metrics) after `done`. The gateway
 * never sends them to clients; they are translated like any other event.
 */
export const syntheticEvents = {
  started: "switchyard-prediction-started",
  finished: "switchyard-prediction-finished",
} as const;
