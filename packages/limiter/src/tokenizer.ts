/** The BPE encodings Switchyard can count with (through gpt-tokenizer). */
export type EncodingName = "o200k_base" | "cl100k_base";

/** Counts the tokens of a text. */
export type TokenCounter = (text: string) => number;

/**
 * The encoding of an OpenAI model, from its id (with or without a `provider/` prefix), or `undefined` when
 * the model is not one whose encoding is known (another vendor's, or an Azure deployment name).
 */
export function encodingForModel(model: string): EncodingName | undefined {
  const id = model.slice(model.lastIndexOf("/") + 1).toLowerCase();
  if (/^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|chatgpt-4o|gpt-oss|omni-moderation|codex-mini)/.test(id)) {
    return "o200k_base";
  }
  if (/^(gpt-4|gpt-3\.5|text-embedding-3|text-embedding-ada-002)/.test(id)) return "cl100k_base";
  return undefined;
}

// Special tokens in user text are counted as the plain text they are, never refused.
const encodeOptions = { disallowedSpecial: new Set<string>() };

const loading = new Map<EncodingName, Promise<TokenCounter>>();

/**
 * Loads an encoding on first use (each weighs tens of MB, so only encodings that are needed are loaded)
 * and returns its counter. Later calls get the same counter.
 */
export function loadTokenCounter(encoding: EncodingName): Promise<TokenCounter> {
  let counter = loading.get(encoding);
  if (counter === undefined) {
    const module =
      encoding === "o200k_base"
        ? import("gpt-tokenizer/encoding/o200k_base")
        : import("gpt-tokenizer/encoding/cl100k_base");
    // Should the encoding fail to load, the estimate stands in rather than failing requests.
    counter = module.then(
      ({ countTokens }) =>
        (text: string) =>
          countTokens(text, encodeOptions),
      () => estimateTokens,
    );
    loading.set(encoding, counter);
  }
  return counter;
}

/**
 * The documented estimate for models whose encoding is unknown: one token per 3 bytes of UTF-8, rounded
 * up. English prose runs about 4 bytes a token and code about 3, so this is on the high side for both;
 * CJK text (3 bytes a character, about 1 token each) comes out close.
 */
export const estimateTokens: TokenCounter = (text) => Math.ceil(Buffer.byteLength(text, "utf8") / 3);
