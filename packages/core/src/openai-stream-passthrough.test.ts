import { describe, expect, it } from "vitest";
import { OpenAIStreamPassthrough } from "./openai-stream-passthrough.js";

const encoder = new TextEncoder();
const chunk = (content: string) =>
  `data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}}}],"usage":null}\n\n`;
const usageChunk =
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n';
const done = "data: [DONE]\n\n";

function run(parts: string[], forwardUsage: boolean) {
  const relay = new OpenAIStreamPassthrough(forwardUsage);
  const out = parts.map((part) => Buffer.from(relay.push(encoder.encode(part))).toString()).join("");
  return { out: out + Buffer.from(relay.flush()).toString(), relay };
}

describe("OpenAIStreamPassthrough", () => {
  const stream = chunk("Hello") + chunk(" [DONE] is text") + usageChunk + done;

  it("forwards every byte when the client asked for usage, and reads the usage", () => {
    const { out, relay } = run([stream], true);
    expect(out).toBe(stream);
    expect(relay.usage).toEqual({ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
    expect(relay.done).toBe(true);
  });

  it("drops only the usage-only chunk when the client did not ask, at any split", () => {
    const expected = chunk("Hello") + chunk(" [DONE] is text") + done;
    for (let split = 1; split < stream.length; split++) {
      const { out, relay } = run([stream.slice(0, split), stream.slice(split)], false);
      expect(out).toBe(expected);
      expect(relay.usage?.total_tokens).toBe(7);
      expect(relay.done).toBe(true);
    }
  });

  it("does not take [DONE] inside generated text for the end of the stream", () => {
    const { relay } = run([chunk("[DONE]")], true);
    expect(relay.done).toBe(false);
  });

  it("keeps usage from chunks that carry choices too (servers with continuous usage)", () => {
    const both =
      'data: {"choices":[{"index":0,"delta":{"content":"x"}}],"usage":{"prompt_tokens":1,"total_tokens":2,"completion_tokens":1}}\n\n';
    const { out, relay } = run([both], false);
    expect(out).toBe(both);
    expect(relay.usage?.total_tokens).toBe(2);
  });

  it("handles CRLF framing", () => {
    const crlf = stream.replaceAll("\n\n", "\r\n\r\n");
    const { out, relay } = run([crlf], false);
    expect(out).toBe((chunk("Hello") + chunk(" [DONE] is text") + done).replaceAll("\n\n", "\r\n\r\n"));
    expect(relay.done).toBe(true);
  });

  it("withholds a truncated event and everything after it", () => {
    const { out, relay } = run(
      [`${chunk("a")}data: {"choices":[{"delta":{"content":\n\n${chunk("b")}`],
      true,
    );
    expect(out).toBe(chunk("a"));
    expect(relay.malformed).toBe(true);
  });

  it("records an upstream error event", () => {
    const { out, relay } = run([`data: {"error":{"message":"boom"}}\n\n`], true);
    expect(out).toBe("");
    expect(relay.errorEvent).toEqual({ error: { message: "boom" } });
  });

  it("passes SSE comments through", () => {
    const { out } = run([`: keep-alive\n\n${done}`], true);
    expect(out).toBe(`: keep-alive\n\n${done}`);
  });
});
