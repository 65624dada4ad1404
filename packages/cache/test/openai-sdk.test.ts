import { listen, type NodeGatewayServer } from "@switchyard/http/node";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CacheStack, sseData, startCacheStack } from "./helpers.js";

// The official SDK is what users point at the gateway: a replayed stream must parse to exactly what the
// first client got, over real HTTP.
describe("cache hits through the official openai SDK over HTTP", () => {
  let stack: CacheStack;
  let server: NodeGatewayServer;
  let client: OpenAI;

  beforeAll(async () => {
    stack = await startCacheStack({ upstream: { replyTokens: 24 } });
    server = await listen(stack.gateway, { port: 0, graceMs: 1_000 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(async () => {
    await server.close();
    await stack.close();
  });

  const raw = async (body: unknown) => {
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return {
      cache: response.headers.get("x-switchyard-cache"),
      bytes: Buffer.from(await response.arrayBuffer()),
    };
  };

  it("answers a repeated completion from the cache, identical for the SDK", async () => {
    const request = { model: "mock-1", messages: [{ role: "user" as const, content: "SDK, complete" }] };
    const first = await client.chat.completions.create(request).withResponse();
    const second = await client.chat.completions.create(request).withResponse();
    expect(first.response.headers.get("x-switchyard-cache")).toBe("miss");
    expect(second.response.headers.get("x-switchyard-cache")).toBe("hit");
    expect(second.data).toEqual(first.data);
  });

  for (const includeUsage of [false, true]) {
    it(`replays a stream byte for byte, and the SDK reads the same chunks (include_usage: ${includeUsage})`, async () => {
      const request = {
        model: "mock-1",
        messages: [{ role: "user" as const, content: `SDK, stream ${includeUsage}` }],
        stream: true as const,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      };
      const miss = await raw(request);
      const hit = await raw(request);
      expect(miss.cache).toBe("miss");
      expect(hit.cache).toBe("hit");
      expect(hit.bytes.equals(miss.bytes)).toBe(true);
      const before = stack.upstream.stats.received;
      const { data: stream, response } = await client.chat.completions.create(request).withResponse();
      expect(response.headers.get("x-switchyard-cache")).toBe("hit");
      const chunks: unknown[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      const expected = sseData(miss.bytes.toString())
        .filter((data) => data !== "[DONE]")
        .map((data) => JSON.parse(data));
      expect(chunks).toEqual(expected);
      expect(chunks.some((chunk) => (chunk as { usage?: unknown }).usage)).toBe(includeUsage);
      expect(stack.upstream.stats.received).toBe(before);
    });
  }
});
