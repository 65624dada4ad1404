import { createAnthropicDialect } from "@switchyard/dialect-anthropic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CacheStack, exchange, startCacheStack } from "./helpers.js";

// Clients of another dialect (here the Anthropic Messages API, in front of an OpenAI-compatible upstream)
// are cached in their own wire format, keyed on their own body.
describe("the cache with an inbound dialect", () => {
  let stack: CacheStack;
  beforeAll(async () => {
    stack = await startCacheStack({ gateway: { dialects: [createAnthropicDialect()] } });
  });
  afterAll(() => stack.close());

  const messages = (extra: Record<string, unknown> = {}, text = "Which platform for the night train?") => ({
    model: "mock-1",
    max_tokens: 64,
    messages: [{ role: "user", content: text }],
    ...extra,
  });
  const send = (body: unknown) => exchange(stack.gateway, body, { path: "/v1/messages" });

  it("stores and replays an Anthropic stream byte for byte", async () => {
    const before = stack.upstream.stats.received;
    const first = await send(messages({ stream: true }, "Stream me, Anthropic style"));
    const second = await send(messages({ stream: true }, "Stream me, Anthropic style"));
    expect(first.status).toBe(200);
    expect(first.text).toContain("event: message_stop");
    expect(first.headers["x-switchyard-cache"]).toBe("miss");
    expect(second.headers["x-switchyard-cache"]).toBe("hit");
    expect(second.text).toBe(first.text);
    expect(stack.upstream.stats.received - before).toBe(1);
  });

  it("keys on the client's own body, fields the canonical form drops included", async () => {
    await send(messages({ top_k: 5 }, "Keyed on my body"));
    expect((await send(messages({ top_k: 5 }, "Keyed on my body"))).headers["x-switchyard-cache"]).toBe(
      "hit",
    );
    expect((await send(messages({ top_k: 6 }, "Keyed on my body"))).headers["x-switchyard-cache"]).toBe(
      "miss",
    );
  });

  it("does not serve one dialect's answer to another", async () => {
    await send(messages({}, "Same prompt, two dialects"));
    const openai = await exchange(stack.gateway, {
      model: "mock-1",
      max_completion_tokens: 64,
      messages: [{ role: "user", content: "Same prompt, two dialects" }],
    });
    expect(openai.headers["x-switchyard-cache"]).toBe("miss");
    expect(JSON.parse(openai.text).object).toBe("chat.completion");
  });
});
