import type { ChatCompletionChunk, RequestContext } from "@switchyard/core";
import type { Redactor, StreamRedactor } from "./redactor.js";

/** A `transformStreamChunk` tap body. */
export type ChunkTransform = (chunk: ChatCompletionChunk, context: RequestContext) => ChatCompletionChunk;

type Choice = ChatCompletionChunk["choices"][number] & { text?: unknown };

/**
 * Runs each streamed choice's text through a stream redactor: a tail that may be the beginning of a match
 * is held back and sent with the next chunk of that choice, or with its finishing chunk. State lives in
 * `context.locals[key]`, one redactor per stream id and choice index: hedged attempts stream under
 * different ids and must not share a tail.
 */
export function createChunkTransform(redactor: Redactor, key: symbol): ChunkTransform {
  return (chunk, context) => {
    if (chunk.choices.length === 0) return chunk;
    let streams = context.locals[key] as Map<string, StreamRedactor> | undefined;
    if (streams === undefined) {
      streams = new Map();
      context.locals[key] = streams;
    }
    // Legacy completion streams (`text_completion` chunks) carry `text` instead of `delta.content`.
    const legacy = (chunk as { object?: unknown }).object === "text_completion";
    let choices: Choice[] | undefined;
    for (let index = 0; index < chunk.choices.length; index++) {
      const choice = chunk.choices[index] as Choice;
      const text = legacy ? choice.text : choice.delta?.content;
      const finished = choice.finish_reason !== null && choice.finish_reason !== undefined;
      if ((typeof text !== "string" || text === "") && !finished) continue;
      const streamKey = `${chunk.id ?? ""}\u0000${choice.index}`;
      let stream = streams.get(streamKey);
      if (stream === undefined) {
        if (!finished || typeof text === "string") {
          stream = redactor.stream();
          streams.set(streamKey, stream);
        } else continue;
      }
      let out = typeof text === "string" ? stream.push(text) : "";
      if (finished) {
        out += stream.end();
        streams.delete(streamKey);
      }
      if (out === (text ?? "")) continue;
      const updated: Choice = legacy
        ? { ...choice, text: out }
        : { ...choice, delta: { ...choice.delta, content: out } };
      choices ??= chunk.choices.slice() as Choice[];
      choices[index] = updated;
    }
    return choices ? { ...chunk, choices } : chunk;
  };
}
