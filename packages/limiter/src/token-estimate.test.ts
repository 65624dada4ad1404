import type { CanonicalRequest } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { createTokenEstimator, IMAGE_PART_TOKENS } from "./token-estimate.js";
import { encodingForModel, estimateTokens, loadTokenCounter } from "./tokenizer.js";

const estimator = createTokenEstimator({ defaultMaxTokens: 256, tokenizer: "auto" });
const chat = (extra: Record<string, unknown> = {}) =>
  ({ model: "gpt-4o", messages: [{ role: "user", content: "Hello, world!" }], ...extra }) as CanonicalRequest;

describe("token estimates", () => {
  it("knows the encodings of OpenAI models, and no other's", () => {
    expect(encodingForModel("gpt-4o-mini")).toBe("o200k_base");
    expect(encodingForModel("openai/gpt-5")).toBe("o200k_base");
    expect(encodingForModel("o3-mini")).toBe("o200k_base");
    expect(encodingForModel("gpt-4-turbo")).toBe("cl100k_base");
    expect(encodingForModel("gpt-3.5-turbo")).toBe("cl100k_base");
    expect(encodingForModel("text-embedding-3-small")).toBe("cl100k_base");
    expect(encodingForModel("claude-sonnet-4")).toBeUndefined();
    expect(encodingForModel("llama-3.1-70b")).toBeUndefined();
  });

  it("counts prompts with the model's tokenizer, plus OpenAI's per-message framing", async () => {
    const count = await loadTokenCounter("o200k_base");
    // "Hello, world!" is 4 tokens in o200k_base; 3 per message and 3 to prime the reply.
    expect(count("Hello, world!")).toBe(4);
    const estimate = await estimator.estimate(chat({ max_tokens: 50 }), "chat", "gpt-4o");
    expect(estimate).toEqual({ prompt: 4 + 3 + 3, completion: 50, total: 60, counted: true });
    // Special tokens in user text are text, not a reason to fail.
    expect(count("<|endoftext|>")).toBeGreaterThan(1);
  });

  it("estimates 1 token per 3 bytes of UTF-8 for models whose encoding is unknown", async () => {
    expect(estimateTokens("abcdef")).toBe(2);
    expect(estimateTokens("日本")).toBe(2);
    const estimate = await estimator.estimate(chat(), "chat", "claude-sonnet-4");
    expect(estimate).toEqual({ prompt: 5 + 3 + 3, completion: 256, total: 267, counted: false });
  });

  it("reserves max_completion_tokens (or max_tokens, or the default) for every choice", async () => {
    const fallback = createTokenEstimator({ defaultMaxTokens: 100, tokenizer: "estimate" });
    const completion = async (extra: Record<string, unknown>) =>
      (await fallback.estimate(chat(extra), "chat", "m")).completion;
    expect(await completion({})).toBe(100);
    expect(await completion({ max_tokens: 20 })).toBe(20);
    expect(await completion({ max_tokens: 20, max_completion_tokens: 30 })).toBe(30);
    expect(await completion({ max_tokens: 20, n: 3 })).toBe(60);
    const embedding = await fallback.estimate(
      { model: "m", input: ["abcdef", "abc"] } as CanonicalRequest,
      "embeddings",
      "m",
    );
    expect(embedding).toEqual({ prompt: 3, completion: 0, total: 3, counted: false });
    const tokenIds = await fallback.estimate(
      { model: "m", input: [[1, 2, 3], [4]] } as CanonicalRequest,
      "embeddings",
      "m",
    );
    expect(tokenIds.prompt).toBe(4);
    const legacy = await fallback.estimate(
      { model: "m", prompt: ["abc", "abcdef"], max_tokens: 5 } as CanonicalRequest,
      "completions",
      "m",
    );
    expect(legacy).toEqual({ prompt: 3, completion: 5, total: 8, counted: false });
  });

  it("counts images, tool calls and tool definitions", async () => {
    const fallback = createTokenEstimator({ defaultMaxTokens: 1, tokenizer: "estimate" });
    const plain = await fallback.estimate(chat(), "chat", "m");
    const withImage = await fallback.estimate(
      chat({
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "Hello, world!" },
              { type: "image_url", image_url: { url: "https://example.com/a.png" } },
            ],
          },
        ],
      }),
      "chat",
      "m",
    );
    expect(withImage.prompt - plain.prompt).toBe(IMAGE_PART_TOKENS);
    const tools = [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }];
    const withTools = await fallback.estimate(chat({ tools }), "chat", "m");
    expect(withTools.prompt - plain.prompt).toBe(estimateTokens(JSON.stringify(tools)));
  });

  it("lets a custom counter replace the prompt count", async () => {
    const custom = createTokenEstimator({
      defaultMaxTokens: 10,
      tokenizer: "auto",
      countPromptTokens: () => 41.2,
    });
    expect(await custom.estimate(chat(), "chat", "gpt-4o")).toEqual({
      prompt: 42,
      completion: 10,
      total: 52,
      counted: false,
    });
  });
});
