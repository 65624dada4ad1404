import { readFile } from "node:fs/promises";
import { type ChatCompletionChunk, type Endpoint, type ProviderCall, SseReader } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { syntheticEvents } from "./replicate-api.js";
import { sseEvent } from "./replicate-prediction-flow.js";
import { createReplicateProvider } from "./replicate-provider.js";
import { createReplicateStreamTranslator } from "./replicate-stream-translator.js";

const fixture = (name: string) => readFile(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8");
const decoder = new TextDecoder();
const MODEL = "meta/meta-llama-3-70b-instruct";
const EXPECTED_TEXT = "The night train leaves Oslo at 23:05.\n\nIt reaches Trondheim at dawn.";

/** The stream as the provider relays it: the created prediction, Replicate's events, the finished one. */
async function relayed(streamFile: string, finished: string | undefined) {
  const started = decoder.decode(sseEvent(syntheticEvents.started, await fixture("prediction-created.json")));
  const end = finished === undefined ? "" : decoder.decode(sseEvent(syntheticEvents.finished, finished));
  return started + (await fixture(streamFile)) + end;
}

function translate(text: string, size: number) {
  const bytes = Buffer.from(text, "utf8");
  const reader = new SseReader();
  const translator = createReplicateStreamTranslator(MODEL, "replicate");
  const chunks: ChatCompletionChunk[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    for (const event of reader.push(bytes.subarray(at, at + size))) chunks.push(...translator.push(event));
  }
  for (const event of reader.end()) chunks.push(...translator.push(event));
  return { chunks, done: translator.done };
}

const textOf = (chunks: ChatCompletionChunk[]) =>
  chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");

describe("Replicate stream recordings through the translator", () => {
  for (const size of [1, 5, 33, 100_000]) {
    it(`reassembles text, line breaks and leading spaces, usage from metrics (pieces of ${size} bytes)`, async () => {
      const { chunks, done } = translate(
        await relayed("prediction-stream.sse", await fixture("prediction-succeeded.json")),
        size,
      );
      expect(done).toBe(true);
      expect(textOf(chunks)).toBe(EXPECTED_TEXT);
      expect(chunks[0]?.choices[0]?.delta).toEqual({ role: "assistant", content: "The" });
      expect(new Set(chunks.map((chunk) => chunk.id))).toEqual(
        new Set(["chatcmpl-k7zq3ygbx5rm40cgfwnr2hjz1m"]),
      );
      expect(chunks.every((chunk) => chunk.object === "chat.completion.chunk" && chunk.model === MODEL)).toBe(
        true,
      );
      expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(["stop"]);
      expect(chunks.at(-1)).toMatchObject({
        choices: [],
        usage: { prompt_tokens: 38, completion_tokens: 17, total_tokens: 55 },
      });
    });
  }

  it("estimates usage when the finished prediction could not be read, and says stop", async () => {
    const { chunks, done } = translate(await relayed("prediction-stream.sse", "{}"), 64);
    expect(done).toBe(true);
    // Prompt: system + user text of the created prediction's input (80 characters); output: 68 characters.
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 20, completion_tokens: 17, total_tokens: 37 });
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
  });

  it("infers a length stop when the output reached max_tokens", async () => {
    const finished = JSON.parse(await fixture("prediction-succeeded.json"));
    finished.input.max_tokens = 17;
    const { chunks } = translate(await relayed("prediction-stream.sse", JSON.stringify(finished)), 200);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("length");
  });

  it("is not done when the stream stops before done", async () => {
    const recorded = await fixture("prediction-stream.sse");
    const started = decoder.decode(
      sseEvent(syntheticEvents.started, await fixture("prediction-created.json")),
    );
    const { chunks, done } = translate(started + recorded.slice(0, recorded.indexOf("event: done")), 17);
    expect(done).toBe(false);
    expect(chunks.at(-1)?.usage).toBeUndefined();
  });

  it("raises an in-stream error event with Replicate's detail", async () => {
    const text = await relayed("prediction-stream-error.sse", undefined);
    expect(() => translate(text, 10)).toThrow("replicate: Prediction failed: CUDA error: out of memory");
  });

  it("raises done with reason canceled as an error", () => {
    const translator = createReplicateStreamTranslator(MODEL, "replicate");
    translator.push({ event: "output", data: "Half" });
    expect(() => translator.push({ event: "done", data: '{"reason":"canceled"}' })).toThrow(/was canceled/);
  });

  it("raises a finished prediction that failed after done", async () => {
    const finished = await fixture("prediction-failed.json");
    const text =
      decoder.decode(sseEvent("done", "{}")) + decoder.decode(sseEvent(syntheticEvents.finished, finished));
    expect(() => translate(text, 50)).toThrow(/failed: CUDA error: out of memory/);
  });

  it("sends a role chunk even when the model produced no text", () => {
    const translator = createReplicateStreamTranslator(MODEL, "replicate");
    expect(translator.push({ event: "done", data: "{}" })).toEqual([]);
    const out = translator.push({ event: syntheticEvents.finished, data: "{}" });
    expect(out.map((chunk) => chunk.choices[0]?.delta ?? "usage")).toEqual([
      { role: "assistant", content: "" },
      {},
      "usage",
    ]);
    expect(translator.done).toBe(true);
  });

  it("ignores event types it does not know, refuses a malformed synthetic event", () => {
    const translator = createReplicateStreamTranslator(MODEL, "replicate");
    expect(translator.push({ event: "logs", data: "loading weights" })).toEqual([]);
    expect(() => translator.push({ event: syntheticEvents.started, data: "{not json" })).toThrow(/malformed/);
  });
});

describe("Replicate non-streamed predictions", () => {
  const provider = createReplicateProvider({ apiToken: "r8" });
  const call: ProviderCall = {
    operation: "chat",
    model: MODEL,
    endpoint: provider.endpoints[0] as Endpoint,
    context: {} as ProviderCall["context"],
    signal: new AbortController().signal,
  };

  it("turns a finished prediction into a chat completion", async () => {
    const completion = provider.parseResponse(JSON.parse(await fixture("prediction-succeeded.json")), call);
    expect(completion).toEqual({
      id: "chatcmpl-k7zq3ygbx5rm40cgfwnr2hjz1m",
      object: "chat.completion",
      created: 1_719_828_001,
      model: MODEL,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: EXPECTED_TEXT, refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 38, completion_tokens: 17, total_tokens: 55 },
    });
  });

  it("maps failed, canceled and aborted predictions to errors", async () => {
    const failed = JSON.parse(await fixture("prediction-failed.json"));
    expect(() => provider.parseResponse(failed, call)).toThrow(
      expect.objectContaining({
        code: "SWY_ERR_UPSTREAM_SERVER",
        message: expect.stringContaining("CUDA error"),
      }),
    );
    const created = JSON.parse(await fixture("prediction-created.json"));
    expect(() => provider.parseResponse({ ...created, status: "canceled" }, call)).toThrow(
      expect.objectContaining({ code: "SWY_ERR_UPSTREAM_SERVER", retryable: false }),
    );
    expect(() => provider.parseResponse({ ...created, status: "aborted" }, call)).toThrow(
      expect.objectContaining({ code: "SWY_ERR_UPSTREAM_OVERLOADED" }),
    );
  });

  it("refuses an answer that is not a text prediction", async () => {
    const succeeded = JSON.parse(await fixture("prediction-succeeded.json"));
    expect(() => provider.parseResponse({ detail: "x" }, call)).toThrow(/not a prediction/);
    expect(() => provider.parseResponse({ ...succeeded, output: [{ url: "x.png" }] }, call)).toThrow(
      /not text/,
    );
  });
});
