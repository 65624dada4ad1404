import { createSeededRandom, hashText, hashTokenIds } from "./mock-model.js";

/**
 * Vector length of mock embeddings when the request sets no `dimensions`. Small on purpose: the vectors carry
 * no meaning, and short ones keep responses light in load benchmarks.
 */
export const DEFAULT_EMBEDDING_DIMENSIONS = 8;

/**
 * Computes the mock embedding of one input: a unit-length vector whose components come from a generator
 * seeded by a cheap hash of the input, so the same input always gets the same vector. Components are rounded
 * to 32-bit floats, as OpenAI's are, so the `float` and `base64` encodings carry identical values.
 *
 * @param input - A text, or the token ids of one input.
 * @param dimensions - Vector length, at least 1.
 * @returns The vector.
 */
export function embedInput(input: string | readonly number[], dimensions: number): Float32Array {
  const random = createSeededRandom(typeof input === "string" ? hashText(input) : hashTokenIds(input));
  const components = new Float64Array(dimensions);
  let squaredLength = 0;
  for (let index = 0; index < dimensions; index += 1) {
    const component = random() * 2 - 1;
    components[index] = component;
    squaredLength += component * component;
  }
  const vector = new Float32Array(dimensions);
  if (squaredLength === 0) {
    vector[0] = 1;
    return vector;
  }
  const length = Math.sqrt(squaredLength);
  for (let index = 0; index < dimensions; index += 1) vector[index] = (components[index] ?? 0) / length;
  return vector;
}

/**
 * Encodes a vector the way OpenAI does for `encoding_format: "base64"`: the bytes of a little-endian
 * Float32Array, base64-encoded. Written byte by byte so the result does not depend on the host's endianness.
 *
 * @param vector - The embedding.
 * @returns The base64 text.
 */
export function encodeEmbeddingBase64(vector: Float32Array): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let index = 0; index < vector.length; index += 1) bytes.writeFloatLE(vector[index] ?? 0, index * 4);
  return bytes.toString("base64");
}
