import { readFile } from "node:fs/promises";
import { SseReader } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { createMessagesStreamWatcher, messagesUsageOf } from "./messages-passthrough.js";

const fixture = (name: string) =>
  readFile(new URL(`../../provider-anthropic/src/__fixtures__/${name}`, import.meta.url), "utf8");

async function watch(name: string) {
  const watcher = createMessagesStreamWatcher();
  const reader = new SseReader();
  for (const event of [...reader.push(await fixture(name)), ...reader.end()]) watcher.push(event);
  return watcher;
}

describe("the Anthropic passthrough watcher", () => {
  it("reads the latest cumulative usage, cache reads and writes included, and the end marker", async () => {
    const watcher = await watch("stream-server-tools-cache.sse");
    expect(watcher.done).toBe(true);
    expect(watcher.error).toBeUndefined();
    // message_delta's totals win over message_start's: 6 + 6289 read + 3337 written; 198 out.
    expect(watcher.usage).toEqual({
      prompt_tokens: 6 + 6289 + 3337,
      completion_tokens: 198,
      total_tokens: 6 + 6289 + 3337 + 198,
      prompt_tokens_details: { cached_tokens: 6289 },
    });
  });

  it("takes output tokens from message_delta when it carries only those", async () => {
    const watcher = await watch("stream-thinking.sse");
    expect(watcher.usage).toMatchObject({ prompt_tokens: 778, completion_tokens: 104 });
  });

  it("reports an error event as the error its type means", async () => {
    const watcher = await watch("stream-error-overloaded.sse");
    expect(watcher.done).toBe(false);
    expect(watcher.error).toMatchObject({
      code: "SWY_ERR_UPSTREAM_OVERLOADED",
      message: "anthropic: Overloaded",
    });
  });

  it("is not done when the stream is cut before message_stop", async () => {
    const recorded = await fixture("stream-text.sse");
    const watcher = createMessagesStreamWatcher();
    for (const event of new SseReader().push(recorded.slice(0, recorded.indexOf("event: message_stop")))) {
      watcher.push(event);
    }
    expect(watcher.done).toBe(false);
    expect(watcher.usage).toBeDefined();
  });

  it("reads usage of a complete answer", async () => {
    expect(messagesUsageOf(JSON.parse(await fixture("message-text.json")))).toMatchObject({
      prompt_tokens: 2095,
      completion_tokens: 503,
    });
    expect(messagesUsageOf({ content: [] })).toBeUndefined();
    expect(messagesUsageOf("not an object")).toBeUndefined();
  });
});
