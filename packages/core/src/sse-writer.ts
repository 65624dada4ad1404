const encoder = new TextEncoder();

/** Serialises one SSE event: `event:` line when named, one `data:` line per line of data. */
export function formatSseEvent(data: string, event?: string): string {
  const head = event === undefined ? "" : `event: ${event}\n`;
  if (!data.includes("\n")) return `${head}data: ${data}\n\n`;
  return `${head}${data
    .split("\n")
    .map((line) => `data: ${line}`)
    .join("\n")}\n\n`;
}

/** Encodes one SSE event to bytes. */
export function encodeSseEvent(data: string, event?: string): Uint8Array {
  return encoder.encode(formatSseEvent(data, event));
}

/** The `data: [DONE]` terminator OpenAI streams end with. */
export const SSE_DONE: Uint8Array = encoder.encode("data: [DONE]\n\n");

/** Response headers for an SSE stream; `x-accel-buffering` stops nginx-style proxies from buffering it. */
export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
});
