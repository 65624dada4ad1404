import type { Gateway } from "@switchyard/core";

/** The outcome of one exchange driven through `gateway.handle()`. */
export interface Exchange {
  status: number;
  headers: Readonly<Record<string, string>>;
  text: string;
  json(): {
    error?: { message: string; code: string; type: string; param: string | null };
    usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  };
}

/** POSTs a chat request with `key` (as a Bearer token) and reads the whole answer. */
export async function chat(
  gateway: Gateway,
  key: string | undefined,
  extra: Record<string, unknown> = {},
  options: { signal?: AbortSignal; headers?: Record<string, string> } = {},
): Promise<Exchange> {
  const response = await gateway.handle({
    method: "POST",
    path: "/v1/chat/completions",
    headers: {
      "content-type": "application/json",
      ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      ...options.headers,
    },
    body: JSON.stringify({
      model: "mock-1",
      max_tokens: 10,
      messages: [{ role: "user", content: "Where does the night train go?" }],
      ...extra,
    }),
    signal: options.signal ?? new AbortController().signal,
  });
  let text = "";
  const payload = response.body;
  if (typeof payload === "string") text = payload;
  else if (payload instanceof Uint8Array) text = Buffer.from(payload).toString();
  else if (payload) for await (const chunk of payload) text += Buffer.from(chunk).toString();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

/** Mock provider prices (see provider-mock): USD per million tokens, so tokens x price = micro-USD. */
export const MOCK_PRICE = { input: 1, output: 2 };

/** What a mock-1 answer costs in micro-USD. */
export function mockCostMicros(usage: { prompt_tokens: number; completion_tokens: number }): number {
  return usage.prompt_tokens * MOCK_PRICE.input + usage.completion_tokens * MOCK_PRICE.output;
}
