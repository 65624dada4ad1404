import { type EmbeddingRequest, type EmbeddingResponse, SwitchyardError } from "@switchyard/core";
import { type GeminiBatchEmbedRequest, geminiBatchEmbedResponseSchema } from "./gemini-api.js";

/**
 * An OpenAI embeddings request -> the body of `models/{model}:batchEmbedContents`: one request per input
 * text, `dimensions` as `outputDimensionality`. Token-id inputs have no Gemini equivalent and are refused.
 */
export function convertToGeminiEmbedRequest(
  request: EmbeddingRequest,
  model: string,
): GeminiBatchEmbedRequest {
  const input = request.input;
  const texts = typeof input === "string" ? [input] : input;
  if (!texts.every((text): text is string => typeof text === "string")) {
    throw new SwitchyardError(
      "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED",
      "Unsupported 'input': Gemini embeds text, not token ids.",
      { param: "input" },
    );
  }
  return {
    requests: texts.map((text) => ({
      model: `models/${model}`,
      content: { parts: [{ text }] },
      ...(request.dimensions === undefined ? {} : { outputDimensionality: request.dimensions }),
    })),
  };
}

/**
 * A `batchEmbedContents` answer -> the OpenAI embeddings list. `encoding_format: "base64"` (what the
 * official OpenAI SDKs ask for by default) is honoured as OpenAI encodes it: little-endian float32 bytes.
 * Usage is reported only when Gemini counts tokens (newer embedding models do).
 */
export function convertGeminiEmbedResponse(
  body: unknown,
  model: string,
  encoding: EmbeddingRequest["encoding_format"],
  providerName: string,
): EmbeddingResponse {
  const parsed = geminiBatchEmbedResponseSchema.safeParse(body);
  if (!parsed.success) {
    throw new SwitchyardError(
      "SWY_ERR_UPSTREAM_INVALID_RESPONSE",
      `${providerName}: the answer has no 'embeddings' array.`,
    );
  }
  const response: EmbeddingResponse = {
    object: "list",
    data: parsed.data.embeddings.map((embedding, index) => ({
      object: "embedding",
      index,
      embedding: encoding === "base64" ? toBase64(embedding.values) : embedding.values,
    })),
    model,
  };
  const tokens = parsed.data.usageMetadata?.promptTokenCount;
  if (tokens !== undefined) response.usage = { prompt_tokens: tokens, total_tokens: tokens };
  return response;
}

function toBase64(values: readonly number[]): string {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((value, index) => {
    bytes.writeFloatLE(value, index * 4);
  });
  return bytes.toString("base64");
}
