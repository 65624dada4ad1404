import { readFile } from "node:fs/promises";
import { type ChatCompletionChunk, type Endpoint, type ProviderCall, SseReader } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { createAzureOpenAIProvider } from "./azure-openai-provider.js";

const fixture = (name: string) => readFile(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8");

const provider = createAzureOpenAIProvider({ resource: "contoso", apiKey: "k" });
const call: ProviderCall = {
  operation: "chat",
  model: "gpt-4o",
  endpoint: provider.endpoints[0] as Endpoint,
  context: {} as ProviderCall["context"],
  signal: new AbortController().signal,
};

/** Feeds a recording through the SSE reader and the provider's translator in pieces of `size` bytes. */
function translate(recorded: string, size: number) {
  const bytes = Buffer.from(recorded, "utf8");
  const reader = new SseReader();
  const translator = provider.createStreamTranslator(call);
  const chunks: ChatCompletionChunk[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    for (const event of reader.push(bytes.subarray(at, at + size))) chunks.push(...translator.push(event));
  }
  for (const event of reader.end()) chunks.push(...translator.push(event));
  return { chunks, done: translator.done };
}

describe("Azure stream recordings through the translator", () => {
  // Sizes that cut events, JSON and multi-byte characters at different places.
  for (const size of [1, 7, 64, 100_000]) {
    it(`keeps the annotation chunk and reassembles the text (pieces of ${size} bytes)`, async () => {
      const { chunks, done } = translate(await fixture("chat-completion-stream.sse"), size);
      expect(done).toBe(true);
      const first = chunks[0] as ChatCompletionChunk & { prompt_filter_results?: unknown[] };
      expect(first.choices).toEqual([]);
      expect(first.usage).toBeUndefined();
      expect(first.prompt_filter_results).toHaveLength(1);
      const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
      expect(text).toBe("The night train leaves Oslo at 23:05.");
      expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(["stop"]);
      expect(chunks.at(-1)?.usage).toMatchObject({
        prompt_tokens: 24,
        completion_tokens: 10,
        total_tokens: 34,
      });
      const withFilter = chunks.filter((chunk) => "content_filter_results" in (chunk.choices[0] ?? {}));
      expect(withFilter.length).toBe(chunks.length - 2);
    });
  }

  it("reassembles a streamed tool call's JSON arguments", async () => {
    const { chunks, done } = translate(await fixture("tool-call-stream.sse"), 13);
    expect(done).toBe(true);
    let name = "";
    let args = "";
    for (const chunk of chunks) {
      for (const toolCall of chunk.choices[0]?.delta.tool_calls ?? []) {
        name += toolCall.function?.name ?? "";
        args += toolCall.function?.arguments ?? "";
      }
    }
    expect(name).toBe("find_train");
    expect(JSON.parse(args)).toEqual({ from: "Oslo", seats: 2, quiet: true });
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(["tool_calls"]);
  });

  it("is not done when the recording is cut before [DONE]", async () => {
    const recorded = await fixture("chat-completion-stream.sse");
    const { done } = translate(recorded.slice(0, recorded.indexOf("data: [DONE]")), 50);
    expect(done).toBe(false);
  });

  it("raises an in-stream error event as a SwitchyardError", () => {
    const translator = provider.createStreamTranslator(call);
    expect(() =>
      translator.push({
        data: '{"error":{"message":"The server had an error while processing your request."}}',
      }),
    ).toThrow(/server had an error/);
    expect(() => translator.push({ data: '{"choices":[{"delta":{"content":"x"' })).toThrow(/malformed/);
  });
});

describe("Azure non-streamed recordings", () => {
  it("keeps prompt and completion filter results as they are", async () => {
    const body = JSON.parse(await fixture("chat-completion.json"));
    const canonical = provider.parseResponse(body, call) as Record<string, unknown> & {
      choices: Array<Record<string, unknown>>;
    };
    expect(canonical).toBe(body);
    expect(canonical.prompt_filter_results).toHaveLength(1);
    expect(canonical.choices[0]?.content_filter_results).toBeDefined();
  });

  it("passes a completion cut by the filter through as finish_reason content_filter", async () => {
    const body = JSON.parse(await fixture("chat-completion-content-filtered.json"));
    const canonical = provider.parseResponse(body, call) as { choices: Array<{ finish_reason: string }> };
    expect(canonical.choices[0]?.finish_reason).toBe("content_filter");
  });

  it("refuses an answer without choices", () => {
    expect(() => provider.parseResponse({ error: null }, call)).toThrow(/no 'choices' array/);
  });
});
