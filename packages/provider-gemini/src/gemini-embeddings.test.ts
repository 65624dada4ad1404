import { describe, expect, it } from "vitest";
import { convertGeminiEmbedResponse, convertToGeminiEmbedRequest } from "./gemini-embeddings.js";

describe("Gemini embeddings", () => {
  it("sends one request per text, with the dimensions asked for", () => {
    expect(
      convertToGeminiEmbedRequest({ model: "e", input: "Hello", dimensions: 768 }, "gemini-embedding-001"),
    ).toEqual({
      requests: [
        {
          model: "models/gemini-embedding-001",
          content: { parts: [{ text: "Hello" }] },
          outputDimensionality: 768,
        },
      ],
    });
  });

  it("refuses token-id input", () => {
    expect(() =>
      convertToGeminiEmbedRequest({ model: "e", input: [1, 2, 3] }, "gemini-embedding-001"),
    ).toThrow(expect.objectContaining({ code: "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED", param: "input" }));
  });

  it("returns floats, or OpenAI's little-endian float32 base64, and no usage when Gemini counts none", () => {
    const body = { embeddings: [{ values: [0.5, -2] }] };
    expect(convertGeminiEmbedResponse(body, "gemini-embedding-001", "float", "gemini")).toEqual({
      object: "list",
      data: [{ object: "embedding", index: 0, embedding: [0.5, -2] }],
      model: "gemini-embedding-001",
    });
    const encoded = convertGeminiEmbedResponse(body, "gemini-embedding-001", "base64", "gemini").data[0]
      ?.embedding;
    const bytes = Buffer.from(encoded as string, "base64");
    expect([bytes.readFloatLE(0), bytes.readFloatLE(4)]).toEqual([0.5, -2]);
    expect(() => convertGeminiEmbedResponse({ embedding: {} }, "m", "float", "gemini")).toThrow(
      expect.objectContaining({ code: "SWY_ERR_UPSTREAM_INVALID_RESPONSE" }),
    );
  });
});
