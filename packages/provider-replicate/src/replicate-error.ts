import { SwitchyardError, type UpstreamErrorResponse, upstreamStatusError } from "@switchyard/core";
import { type Prediction, replicateErrorBodySchema } from "./replicate-api.js";

/**
 * Maps a non-2xx Replicate answer, keeping its message. Replicate sends problem details
 * (`{"title":"Input validation failed","detail":"- input: prompt is required","status":422}`) or just
 * `{"detail":"Request was throttled. Expected available in 1 second."}`; both become `title: detail`.
 */
export function parseReplicateError(response: UpstreamErrorResponse, providerName: string): SwitchyardError {
  return upstreamStatusError(response.status, extractMessage(response.body), response.headers, providerName);
}

function extractMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const result = replicateErrorBodySchema.safeParse(parsed);
  if (!result.success) return undefined;
  const { title, detail, error, message } = result.data;
  const text = describe(detail) ?? describe(error) ?? message;
  if (title && text && !text.startsWith(title)) return `${title}: ${text}`;
  return text ?? title;
}

function describe(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value === undefined || value === null) return undefined;
  return JSON.stringify(value).slice(0, 2_000);
}

/**
 * A prediction that ended without output -> the error the client gets. `failed` is the model's or the
 * hardware's failure (a 502, retryable); `canceled` means someone (or a `Cancel-After` deadline) stopped it
 * while it ran (not retried); `aborted` means the deadline passed while it waited to start (a 503, retryable:
 * Replicate was too busy).
 */
export function predictionError(prediction: Prediction, providerName: string): SwitchyardError {
  const detail = describe(prediction.error);
  switch (prediction.status) {
    case "canceled":
      return new SwitchyardError(
        "SWY_ERR_UPSTREAM_SERVER",
        `${providerName}: the prediction ${prediction.id} was canceled.`,
        {
          retryable: false,
        },
      );
    case "aborted":
      return new SwitchyardError(
        "SWY_ERR_UPSTREAM_OVERLOADED",
        `${providerName}: the prediction ${prediction.id} was aborted before it started (its deadline passed).`,
      );
    default:
      return new SwitchyardError(
        "SWY_ERR_UPSTREAM_SERVER",
        `${providerName}: the prediction ${prediction.id} failed${detail ? `: ${detail}` : "."}`,
      );
  }
}

/** The text of a stream `error` event: `{"detail": ...}` or raw text. */
export function streamErrorMessage(data: string): string {
  try {
    const parsed = replicateErrorBodySchema.safeParse(JSON.parse(data));
    if (parsed.success) {
      const text = describe(parsed.data.detail) ?? describe(parsed.data.error) ?? parsed.data.message;
      if (text) return text;
    }
  } catch {}
  return data.trim() === "" ? "the prediction failed mid-stream" : data.trim().slice(0, 2_000);
}
