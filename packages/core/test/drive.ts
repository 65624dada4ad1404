import type { Gateway } from "../src/gateway.js";

/** The outcome of one exchange driven straight through `gateway.handle()` (no HTTP adapter). */
export interface Exchange {
  status: number;
  headers: Readonly<Record<string, string>>;
  text: string;
}

/** POSTs a JSON body to `path` through `gateway.handle()` and reads the whole answer (streams included). */
export async function exchange(
  gateway: Gateway,
  body: unknown,
  options: { path?: string; signal?: AbortSignal; headers?: Record<string, string> } = {},
): Promise<Exchange> {
  const response = await gateway.handle({
    method: "POST",
    path: options.path ?? "/v1/chat/completions",
    headers: { "content-type": "application/json", ...options.headers },
    body: JSON.stringify(body),
    signal: options.signal ?? new AbortController().signal,
  });
  let text = "";
  const payload = response.body;
  if (typeof payload === "string") text = payload;
  else if (payload instanceof Uint8Array) text = Buffer.from(payload).toString();
  else if (payload) for await (const chunk of payload) text += Buffer.from(chunk).toString();
  return { status: response.status, headers: response.headers, text };
}

/** `data:` payloads of an SSE text. */
export function sseData(text: string): string[] {
  return text
    .split("\n\n")
    .filter((event) => event.trim() !== "")
    .map((event) =>
      event
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n"),
    );
}

export const chat = (extra: Record<string, unknown> = {}) => ({
  model: "mock-1",
  messages: [{ role: "user", content: "Which platform for the night train?" }],
  ...extra,
});
