import { describe, expect, it } from "vitest";
import { SseReader } from "./sse-reader.js";
import { formatSseEvent } from "./sse-writer.js";

function readAll(parts: Array<string | Uint8Array>) {
  const reader = new SseReader();
  const events = parts.flatMap((part) => reader.push(part));
  return [...events, ...reader.end()];
}

describe("SseReader", () => {
  it("parses events split at every possible byte boundary", () => {
    const stream = 'event: a\ndata: {"x":1}\n\ndata: line1\ndata: line2\n\n: comment\ndata: [DONE]\n\n';
    const whole = readAll([stream]);
    expect(whole).toEqual([{ event: "a", data: '{"x":1}' }, { data: "line1\nline2" }, { data: "[DONE]" }]);
    for (let split = 1; split < stream.length; split++) {
      expect(readAll([stream.slice(0, split), stream.slice(split)])).toEqual(whole);
    }
  });

  it("handles CRLF and CR line endings, including a CRLF split across reads", () => {
    expect(readAll(["data: a\r", "\n\r\ndata: b\r\r"])).toEqual([{ data: "a" }, { data: "b" }]);
  });

  it("decodes multi-byte UTF-8 split across reads", () => {
    const bytes = new TextEncoder().encode("data: héllo 😀\n\n");
    const parts = [...bytes].map((byte) => new Uint8Array([byte]));
    expect(readAll(parts)).toEqual([{ data: "héllo 😀" }]);
  });

  it("keeps id and retry, strips one leading space only", () => {
    expect(readAll(["id: 7\nretry: 100\ndata:  two spaces\n\n"])).toEqual([
      { id: "7", retry: 100, data: " two spaces" },
    ]);
  });

  it("flushes a final event that lacks its blank line at end of stream", () => {
    expect(readAll(["data: tail"])).toEqual([{ data: "tail" }]);
  });

  it("round-trips what the writer writes", () => {
    const text = formatSseEvent("multi\nline", "message_delta") + formatSseEvent("{}");
    expect(readAll([text])).toEqual([{ event: "message_delta", data: "multi\nline" }, { data: "{}" }]);
  });
});
