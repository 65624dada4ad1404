import { describe, expect, it } from "vitest";
import { createCountTokensHandler } from "./count-tokens.js";

const request = {
  method: "POST",
  path: "/v1/messages/count_tokens",
  headers: {},
  signal: new AbortController().signal,
};
const body = (extra: Record<string, unknown> = {}) => ({
  model: "claude-sonnet-4-5",
  messages: [{ role: "user", content: "Where does the night train to Narvik leave from?" }],
  ...extra,
});

async function count(handler: ReturnType<typeof createCountTokensHandler>, value: unknown) {
  const response = await handler(request, value, { requestId: "req-9" });
  return { ...response, json: JSON.parse(String(response.body)) };
}

describe("count_tokens", () => {
  it("answers the limiter's estimate of the prompt, which grows with the prompt and its tools", async () => {
    const handler = createCountTokensHandler(undefined);
    const plain = await count(handler, body());
    expect(plain.status).toBe(200);
    expect(plain.headers).toMatchObject({ "content-type": "application/json", "x-request-id": "req-9" });
    expect(Object.keys(plain.json)).toEqual(["input_tokens"]);
    expect(plain.json.input_tokens).toBeGreaterThan(10);
    const withTools = await count(
      handler,
      body({ tools: [{ name: "timetable", description: "Train times", input_schema: { type: "object" } }] }),
    );
    expect(withTools.json.input_tokens).toBeGreaterThan(plain.json.input_tokens);
  });

  it("counts with the configured function, given the canonical request and the body", async () => {
    const seen: unknown[] = [];
    const handler = createCountTokensHandler((canonical, original) => {
      seen.push(canonical.messages.length, original.model);
      return 17.2;
    });
    expect((await count(handler, body({ system: "Be brief." }))).json).toEqual({ input_tokens: 18 });
    expect(seen).toEqual([2, "claude-sonnet-4-5"]);
  });

  it("refuses a malformed body with a 400 naming the field", async () => {
    const handler = createCountTokensHandler(undefined);
    await expect(handler(request, { model: "m" }, { requestId: "r" })).rejects.toMatchObject({
      status: 400,
      param: "messages",
    });
  });
});
