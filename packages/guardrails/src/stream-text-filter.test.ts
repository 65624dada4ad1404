import type { ChatCompletionChunk, RequestContext } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { builtinDetectors } from "./detectors.js";
import { createRedactor } from "./redactor.js";
import { createChunkTransform } from "./stream-text-filter.js";

const redactor = createRedactor(Object.values(builtinDetectors), "[{type}]");
const contextOf = () => ({ locals: {} }) as unknown as RequestContext;

function chunk(
  id: string,
  choices: Array<{ index?: number; content?: string; finish?: string }>,
): ChatCompletionChunk {
  return {
    id,
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: choices.map((choice) => ({
      index: choice.index ?? 0,
      delta: choice.content === undefined ? {} : { content: choice.content },
      finish_reason: (choice.finish ?? null) as "stop" | null,
    })),
  };
}

const contentOf = (out: ChatCompletionChunk, index = 0) =>
  out.choices.find((choice) => choice.index === index)?.delta.content ?? "";

describe("the chunk transform", () => {
  it("holds a split address back and sends it, redacted, with the next chunks", () => {
    const transform = createChunkTransform(redactor, Symbol("test"));
    const context = contextOf();
    const pieces = ["Mail john.do", "e@exam", "ple.com", " now"];
    let sent = "";
    for (const piece of pieces) {
      const out = transform(chunk("a", [{ content: piece }]), context);
      expect(contentOf(out)).not.toMatch(/john|exam/);
      sent += contentOf(out);
    }
    sent += contentOf(transform(chunk("a", [{ finish: "stop" }]), context));
    expect(sent).toBe("Mail [email] now");
  });

  it("releases the held tail on the finish chunk, adding content to an empty delta", () => {
    const transform = createChunkTransform(redactor, Symbol("test"));
    const context = contextOf();
    expect(contentOf(transform(chunk("a", [{ content: "the end" }]), context))).toBe("the ");
    const finish = transform(chunk("a", [{ finish: "stop" }]), context);
    expect(finish.choices[0]?.delta).toEqual({ content: "end" });
    expect(finish.choices[0]?.finish_reason).toBe("stop");
  });

  it("keeps one tail per stream id and choice: hedged attempts and choices do not mix", () => {
    const transform = createChunkTransform(redactor, Symbol("test"));
    const context = contextOf();
    transform(
      chunk("first", [
        { content: "from a@", index: 0 },
        { content: "card 4111 1111", index: 1 },
      ]),
      context,
    );
    transform(chunk("second", [{ content: "unrelated words" }]), context);
    const out = transform(
      chunk("first", [
        { content: "b.io", index: 0, finish: "stop" },
        { content: " 1111 1111", index: 1, finish: "stop" },
      ]),
      context,
    );
    expect(contentOf(out, 0)).toBe("[email]");
    expect(contentOf(out, 1)).toBe("[card]");
  });

  it("handles legacy text_completion chunks", () => {
    const transform = createChunkTransform(redactor, Symbol("test"));
    const context = contextOf();
    const legacy = (text: string, finish: string | null) =>
      ({
        id: "c",
        object: "text_completion",
        created: 1,
        model: "m",
        choices: [{ index: 0, text, finish_reason: finish, logprobs: null }],
      }) as unknown as ChatCompletionChunk;
    const texts = [
      transform(legacy("key AKIAIOSFOD", null), context),
      transform(legacy("NN7EXAMPLE!", "stop"), context),
    ].map((out) => (out.choices[0] as unknown as { text: string }).text);
    expect(texts.join("")).toBe("key [api-key]!");
  });

  it("returns chunks without text untouched (same object)", () => {
    const transform = createChunkTransform(redactor, Symbol("test"));
    const usage = { ...chunk("a", []), usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } };
    expect(transform(usage, contextOf())).toBe(usage);
    const role = chunk("a", [{ content: "" }]);
    expect(transform(role, contextOf())).toBe(role);
  });

  // CPU time (process.cpuUsage), not wall time: the machine is shared, and CPU time is what a chunk costs.
  it("costs (numbers printed, not asserted)", () => {
    const words =
      "Sure, the night train to Vienna leaves from platform 9 at 22:10, mail ops@rail.example.com".split(
        /(?= )/,
      );
    const wire = words.map((word) => JSON.stringify(chunk("bench", [{ content: word }])));
    const rounds = 1_000;
    const measure = (work: (json: string) => void) => {
      const started = process.cpuUsage();
      for (let round = 0; round < rounds; round++) for (const json of wire) work(json);
      const used = process.cpuUsage(started);
      return (used.user + used.system) / (rounds * wire.length);
    };
    // What core does per chunk once any transformStreamChunk tap exists (the fast path is off).
    const reserialise = measure((json) => JSON.stringify(JSON.parse(json)));
    let context = contextOf();
    const transform = createChunkTransform(redactor, Symbol("bench"));
    const redacting = measure((json) => {
      const parsed = JSON.parse(json) as ChatCompletionChunk;
      if (parsed.choices[0]?.delta.content === "Sure,") context = contextOf();
      JSON.stringify(transform(parsed, context));
    });
    console.log(
      `[guardrails bench] per chunk (CPU): parse + re-serialise ${reserialise.toFixed(2)} µs, ` +
        `+ PII redaction ${redacting.toFixed(2)} µs (${words.length}-chunk answers, ${rounds} rounds)`,
    );
    expect(redacting).toBeGreaterThan(0);
  });
});
