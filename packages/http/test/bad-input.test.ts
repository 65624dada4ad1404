import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatBody, postJson, type Stack, startStack } from "./helpers.js";

const errorShape = {
  error: {
    message: expect.any(String),
    type: expect.any(String),
    param: expect.toSatisfy((value: unknown) => value === null || typeof value === "string"),
    code: expect.any(String),
  },
};

describe("bad input gets an OpenAI-shaped error with the right status, and the server keeps serving", () => {
  let stack: Stack;
  let chatUrl: string;

  beforeAll(async () => {
    stack = await startStack({ gateway: { bodyLimitBytes: 64 * 1024 } });
    chatUrl = `${stack.url}/v1/chat/completions`;
  });
  afterAll(() => stack.close());

  it.each([
    ["malformed JSON", '{"model": "mock-1",', 400, "invalid_json", null],
    ["an array body", "[1,2]", 400, "invalid_request", null],
    ["an empty body", "", 400, "invalid_json", null],
    ["missing messages", { model: "mock-1" }, 400, "invalid_request", "messages"],
    ["empty messages", { model: "mock-1", messages: [] }, 400, "invalid_request", "messages"],
    ["a wrong type", chatBody({ temperature: "hot" }), 400, "invalid_request", "temperature"],
    ["an out-of-range value", chatBody({ temperature: 3 }), 400, "invalid_request", "temperature"],
    [
      "an unknown role",
      { model: "mock-1", messages: [{ role: "wizard", content: "x" }] },
      400,
      "invalid_request",
      "messages[0].role",
    ],
    [
      "a message without content",
      { model: "mock-1", messages: [{ role: "user" }] },
      400,
      "invalid_request",
      "messages[0].content",
    ],
    ["an unknown model", chatBody({ model: "gpt-nothing" }), 404, "model_not_found", "model"],
    ["an unknown provider prefix", chatBody({ model: "nobody/mock-1" }), 404, "model_not_found", "model"],
  ])("%s", async (_name, body, status, code, param) => {
    const response = await postJson(chatUrl, body);
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject(errorShape);
    expect(response.body.error.code).toBe(code);
    expect(response.body.error.param).toBe(param);
    expect(response.headers.get("x-request-id")).toMatch(/.+/);
  });

  it("refuses a non-JSON content type with 415", async () => {
    const response = await fetch(chatUrl, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "{}",
    });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ error: { code: "unsupported_media_type" } });
  });

  it("answers 413 from content-length without reading the body", async () => {
    const big = JSON.stringify(chatBody({ padding: "x".repeat(200_000) }));
    const response = await postJson(chatUrl, big);
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe("request_too_large");
  });

  it("answers 413 to a chunked body as soon as it passes the limit", async () => {
    let sent = 0;
    async function* endless() {
      // Far more than the limit; the gateway must stop reading long before the end.
      for (let index = 0; index < 10_000; index++) {
        sent += 16_384;
        yield new Uint8Array(16_384).fill(32);
      }
    }
    const response = await request(chatUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: endless() as never,
    }).catch((error: unknown) => ({ error }));
    if ("error" in response) {
      // The server may close the socket while the client is still writing; the answer was 413 regardless.
      expect(String(response.error)).toMatch(/socket|closed|reset|EPIPE/i);
    } else {
      expect(response.statusCode).toBe(413);
      await response.body.dump();
    }
    expect(sent).toBeLessThan(10_000 * 16_384);
  });

  it("passes a large agent-style payload under the limit", async () => {
    const messages = Array.from({ length: 40 }, (_, index) => ({
      role: index % 2 === 0 ? "user" : "assistant",
      content: `step ${index} ${"context ".repeat(150)}`,
    }));
    const response = await postJson(chatUrl, { model: "mock-1", messages });
    expect(response.status).toBe(200);
    expect(response.body.object).toBe("chat.completion");
  });

  it("refuses the wrong method and unknown paths", async () => {
    const get = await fetch(chatUrl);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const unknown = await fetch(`${stack.url}/v1/nothing-here`, { method: "POST" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it("keeps serving after all of the above", async () => {
    const response = await postJson(chatUrl, chatBody());
    expect(response.status).toBe(200);
  });

  it("accepts the client's request id, returns it and sends it upstream; generates one otherwise", async () => {
    const given = await postJson(chatUrl, chatBody(), { "x-request-id": "trace-42.a:b" });
    expect(given.headers.get("x-request-id")).toBe("trace-42.a:b");
    expect(stack.upstream.requests.at(-1)?.headers["x-request-id"]).toBe("trace-42.a:b");
    const unsafe = await postJson(chatUrl, chatBody(), { "x-request-id": "bad id with spaces" });
    expect(unsafe.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("never sends the client's credentials upstream, only the provider's", async () => {
    await postJson(chatUrl, chatBody(), { authorization: "Bearer client-key-should-stay-here" });
    const headers = stack.upstream.requests.at(-1)?.headers ?? {};
    expect(headers.authorization).toBe("Bearer sk-upstream-secret");
    expect(JSON.stringify(headers)).not.toContain("client-key-should-stay-here");
  });

  it("serves /health", async () => {
    const response = await fetch(`${stack.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});
