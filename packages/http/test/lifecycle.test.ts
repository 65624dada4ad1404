import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { chatBody, postJson, type Stack, sseData, startStack } from "./helpers.js";

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe("graceful shutdown", () => {
  it("lets an in-flight stream finish, refuses new requests, then closes", async () => {
    stack = await startStack({ upstream: { tokensPerSecond: 50, replyTokens: 25 } });
    const response = await request(`${stack.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chatBody({ stream: true })),
    });
    const reader = response.body[Symbol.asyncIterator]();
    const first = await reader.next();
    let text = Buffer.from(first.value as Buffer).toString();
    const closing = stack.server.close();
    const duringDrain = await postJson(`${stack.url}/v1/chat/completions`, chatBody()).catch(
      (error: unknown) => ({
        status: 0,
        error,
      }),
    );
    // A new connection is refused outright or, on a kept-alive one, answered 503.
    expect([0, 503]).toContain(duringDrain.status);
    for (let next = await reader.next(); !next.done; next = await reader.next())
      text += Buffer.from(next.value).toString();
    await closing;
    const events = sseData(text);
    expect(events.at(-1)).toBe("[DONE]");
    expect(stack.gateway.state).toBe("closed");
    expect(stack.upstream.stats.aborted).toBe(0);
  });

  it("aborts what is still running when the grace period ends", async () => {
    stack = await startStack({
      upstream: { tokensPerSecond: 5, replyTokens: 100 },
      listen: { graceMs: 100 },
    });
    const response = await request(`${stack.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chatBody({ stream: true })),
    });
    const reader = response.body[Symbol.asyncIterator]();
    await reader.next();
    await stack.server.close();
    expect(stack.gateway.state).toBe("closed");
    const upstream = stack.upstream;
    await expect.poll(() => upstream.stats.aborted).toBe(1);
    await expect(
      (async () => {
        for (let next = await reader.next(); !next.done; next = await reader.next());
      })(),
    ).rejects.toThrow();
  });
});
