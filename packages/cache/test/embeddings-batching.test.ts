import { createRateLimitPlugin } from "@switchyard/limiter";
import { afterEach, describe, expect, it } from "vitest";
import { createEmbeddingsBatchingPlugin, type EmbeddingsBatchingOptions } from "../src/index.js";
import { type CacheStack, type CacheStackOptions, exchange, startCacheStack } from "./helpers.js";

const stacks: CacheStack[] = [];
afterEach(async () => {
  for (const stack of stacks.splice(0)) await stack.close();
});

async function stack(batching: EmbeddingsBatchingOptions = {}, options: CacheStackOptions = {}) {
  // A long window: batches in these tests are sent when full, which does not depend on timing.
  const plugin = createEmbeddingsBatchingPlugin({ maxDelayMs: 1_000, ...batching });
  const started = await startCacheStack({
    cache: { operations: ["chat"] },
    upstream: { record: true },
    ...options,
    after: [plugin, ...(options.after ?? [])],
  });
  stacks.push(started);
  return { ...started, plugin };
}

const embed = (stackUnderTest: CacheStack, input: unknown, headers: Record<string, string> = {}) =>
  exchange(stackUnderTest.gateway, { model: "embed-1", input }, { path: "/v1/embeddings", headers });

/** What the mock answers for `input` when asked directly. */
async function direct(stackUnderTest: CacheStack, input: unknown) {
  const response = await fetch(`${stackUnderTest.upstream.url}/v1/embeddings`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "embed-1", input }),
  });
  return (await response.json()) as {
    data: Array<{ index: number; embedding: number[] }>;
    usage: { total_tokens: number };
  };
}

describe("embeddings micro-batching", () => {
  it("sends requests arriving together as one upstream request and splits the answer back", async () => {
    const started = await stack({ maxBatchSize: 14 });
    const inputs = Array.from({ length: 10 }, (_, index) =>
      index % 3 === 0 ? [`alpha ${index}`, `beta ${index}`] : `gamma ${index}`,
    );
    const answers = await Promise.all(inputs.map((input) => embed(started, input)));
    expect(started.upstream.stats.received).toBe(1);
    const sent = started.upstream.requests.at(-1)?.body as { input: string[] };
    expect(sent.input).toHaveLength(14);
    let totalShares = 0;
    for (const [position, answer] of answers.entries()) {
      expect(answer.status).toBe(200);
      expect(answer.headers["x-switchyard-embeddings-batch"]).toBe("14");
      const body = JSON.parse(answer.text);
      const expected = await direct(started, inputs[position]);
      expect(body.data.map((item: { index: number }) => item.index)).toEqual(
        expected.data.map((item) => item.index),
      );
      expect(body.data.map((item: { embedding: number[] }) => item.embedding)).toEqual(
        expected.data.map((item) => item.embedding),
      );
      totalShares += body.usage.total_tokens;
    }
    const whole = await direct(started, inputs.flat());
    expect(totalShares).toBe(whole.usage.total_tokens);
    expect(started.plugin.stats()).toMatchObject({ batches: 1, batchedRequests: 10 });
  });

  it("sends a request alone in its window the ordinary way", async () => {
    const started = await stack({ maxDelayMs: 5 });
    const answer = await embed(started, "on its own");
    expect(answer.status).toBe(200);
    expect(answer.headers["x-switchyard-embeddings-batch"]).toBeUndefined();
    expect((started.upstream.requests.at(-1)?.body as { input?: unknown } | undefined)?.input).toBe(
      "on its own",
    );
    expect(started.plugin.stats().unbatched).toBe(1);
  });

  it("never puts more than maxBatchSize inputs in one upstream request", async () => {
    const started = await stack({ maxBatchSize: 8 });
    const inputs = Array.from({ length: 8 }, (_, index) => [
      `a${index}`,
      `b${index}`,
      `c${index}`,
      `d${index}`,
    ]);
    const answers = await Promise.all(inputs.map((input) => embed(started, input)));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    const sizes = started.upstream.requests.map(
      (request) => (request.body as { input: unknown[] }).input.length,
    );
    expect(Math.max(...sizes)).toBeLessThanOrEqual(8);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(32);
    expect(started.upstream.stats.received).toBe(4);
  });

  it("falls back to one request each when the batch fails", async () => {
    const started = await stack({ maxBatchSize: 3 });
    started.upstream.enqueueFault({ kind: "status", status: 400 });
    const answers = await Promise.all(["x", "y", "z"].map((input) => embed(started, input)));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(started.upstream.stats.received).toBe(4);
    expect(started.plugin.stats().unbatched).toBe(3);
  });

  it("keeps different parameters in different batches", async () => {
    const started = await stack({ maxBatchSize: 2 });
    await Promise.all([
      exchange(started.gateway, { model: "embed-1", input: "a", dimensions: 4 }, { path: "/v1/embeddings" }),
      exchange(started.gateway, { model: "embed-1", input: "b", dimensions: 4 }, { path: "/v1/embeddings" }),
      exchange(started.gateway, { model: "embed-1", input: "c" }, { path: "/v1/embeddings" }),
      exchange(started.gateway, { model: "embed-1", input: "d" }, { path: "/v1/embeddings" }),
    ]);
    expect(started.upstream.stats.received).toBe(2);
    const bodies = started.upstream.requests.map(
      (request) => request.body as { input: string[]; dimensions?: number },
    );
    expect(bodies.map((body) => [...body.input].sort().join(""))).toEqual(
      expect.arrayContaining(["ab", "cd"]),
    );
  });

  it("charges the token budget once: each request its share, the batch request nothing", async () => {
    const limits = [
      {
        name: "tokens",
        unit: "tokens" as const,
        limit: 1_000_000,
        per: "day" as const,
        algorithm: "fixed-window" as const,
      },
    ];
    const started = await stack(
      { maxBatchSize: 3 },
      {
        cache: { operations: ["completions"] },
        before: [createRateLimitPlugin({ limits, tokenizer: "estimate" })],
      },
    );
    const settle = () => new Promise((resolve) => setTimeout(resolve, 30));
    // The probe is a chat request (never batched, and not cached in this stack), sent before and after.
    const probe = { model: "mock-1", messages: [{ role: "user", content: "probe" }] };
    const probeBefore = await exchange(started.gateway, probe);
    await settle();
    const answers = await Promise.all(
      ["one two", "three four five", "six"].map((input) => embed(started, input)),
    );
    const batchTokens = answers.reduce((sum, answer) => sum + JSON.parse(answer.text).usage.total_tokens, 0);
    await settle();
    const probeAfter = await exchange(started.gateway, probe);
    const remaining = (answer: { headers: Readonly<Record<string, string>> }) =>
      Number(answer.headers["x-ratelimit-remaining-tokens"]);
    const probeUsage = JSON.parse(probeBefore.text).usage.total_tokens;
    expect(started.plugin.stats().batches).toBe(1);
    expect(remaining(probeBefore) - remaining(probeAfter)).toBe(probeUsage + batchTokens);
  });
});
