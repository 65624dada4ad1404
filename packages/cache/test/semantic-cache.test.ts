import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApiKeyAuthPlugin, type RequestContext } from "@switchyard/core";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheOutcome } from "../src/index.js";
import { arrivals, type CacheStack, chat, exchange, startCacheStack } from "./helpers.js";

// An embedding server whose vectors carry meaning enough for a test: a bag of words hashed into 64
// dimensions, so prompts that share their words are close and others are not.
function bagOfWords(text: string): number[] {
  const vector = new Array<number>(64).fill(0);
  for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    let hash = 7;
    for (const char of word) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_003;
    vector[hash % 64] = (vector[hash % 64] ?? 0) + 1;
  }
  return vector;
}

describe("semantic cache", () => {
  let server: Server;
  let embedCalls = 0;
  let failEmbeddings = false;
  /** When set, the embedding server answers only once this many client requests have arrived. */
  const embedAfterArrivals = 0;
  let gate: ReturnType<typeof arrivals>;
  let stack: CacheStack;
  const completed: RequestContext[] = [];
  const alice = { headers: { authorization: "Bearer sk-alice" } };

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", async () => {
        embedCalls++;
        if (embedAfterArrivals > 0) await gate.until(embedAfterArrivals);
        if (failEmbeddings) {
          response.writeHead(500, { "content-type": "application/json" });
          response.end('{"error":{"message":"down","type":"server_error"}}');
          return;
        }
        const input = JSON.parse(body).input as string;
        const answer = {
          object: "list",
          model: "bow",
          data: [{ object: "embedding", index: 0, embedding: bagOfWords(input) }],
          usage: { prompt_tokens: 5, total_tokens: 5 },
        };
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    stack = await startCacheStack({
      gateway: { requireAuth: true },
      before: [createApiKeyAuthPlugin({ keys: [{ id: "alice", key: "sk-alice" }] })],
      cache: { semantic: { model: "bow", threshold: 0.9 } },
      providers: [
        createOpenAIProvider({
          name: "vectors",
          baseURL: `http://127.0.0.1:${port}/v1`,
          models: [{ id: "bow", operations: ["embeddings"] }],
        }),
      ],
    });
    stack.gateway.hooks.requestCompleted.tap("test", (context) => void completed.push(context));
    gate = arrivals(stack.gateway);
  });
  afterAll(async () => {
    await stack.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it("serves a cached answer to a prompt that means the same, through the gateway's own embedding model", async () => {
    const before = stack.upstream.stats.received;
    const first = await exchange(
      stack.gateway,
      chat({}, "Which platform does the night train to Vienna leave from?"),
      alice,
    );
    const similar = await exchange(
      stack.gateway,
      chat({}, "which platform does the night train to vienna leave from"),
      { headers: { ...alice.headers, "x-request-id": "semantic-1" } },
    );
    expect(first.headers["x-switchyard-cache"]).toBe("miss");
    expect(similar.headers["x-switchyard-cache"]).toBe("hit");
    expect(Number(similar.headers["x-switchyard-cache-similarity"])).toBeGreaterThanOrEqual(0.9);
    expect(similar.text).toBe(first.text);
    expect(stack.upstream.stats.received - before).toBe(1);
    await expect.poll(() => completed.find((context) => context.id === "semantic-1")).toBeDefined();
    const outcome = cacheOutcome(completed.find((context) => context.id === "semantic-1") as RequestContext);
    expect(outcome).toMatchObject({ result: "hit", servedBy: "semantic" });
    expect(stack.cache.stats().semanticHits).toBeGreaterThanOrEqual(1);
  });

  it("lets identical requests arriving together share one embedding call and the semantic hit", async () => {
    await exchange(stack.gateway, chat({}, "Where do I pick up my couchette key?"), alice);
    const chats = stack.upstream.stats.received;
    const calls = embedCalls;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        exchange(stack.gateway, chat({}, "where do i pick up my couchette key"), alice),
      ),
    );
    expect(embedCalls - calls).toBe(1);
    expect(stack.upstream.stats.received).toBe(chats);
    expect(answers.every((answer) => answer.status === 200 && answer.text === answers[0]?.text)).toBe(true);
    expect(answers.filter((answer) => answer.headers["x-switchyard-cache"] === "hit")).toHaveLength(1);
  });

  it("does not match a prompt that means something else", async () => {
    await exchange(stack.gateway, chat({}, "How long is the ride from Munich to Rome?"), alice);
    const other = await exchange(stack.gateway, chat({}, "Which museums open on Mondays in Rome?"), alice);
    expect(other.headers["x-switchyard-cache"]).toBe("miss");
  });

  it("matches only requests equal in everything but the last prompt", async () => {
    const prompt = "Does the sleeper car have showers on board?";
    await exchange(stack.gateway, chat({ temperature: 0 }, prompt), alice);
    const otherParameters = await exchange(stack.gateway, chat({ temperature: 1 }, `${prompt} `), alice);
    expect(otherParameters.headers["x-switchyard-cache"]).toBe("miss");
    const same = await exchange(stack.gateway, chat({ temperature: 0 }, `${prompt} `), alice);
    expect(same.headers["x-switchyard-cache"]).toBe("hit");
  });

  it("is off for a request that says so", async () => {
    const prompt = "Can I bring a bicycle on the night train?";
    await exchange(stack.gateway, chat({}, prompt), alice);
    const calls = embedCalls;
    const off = await exchange(stack.gateway, chat({}, prompt.toLowerCase()), {
      headers: { ...alice.headers, "x-switchyard-semantic-cache": "off" },
    });
    expect(off.headers["x-switchyard-cache"]).toBe("miss");
    expect(embedCalls).toBe(calls);
  });

  it("embeds only on an exact miss, and treats a failing embedding model as a miss", async () => {
    const prompt = "Is breakfast included in the sleeper ticket?";
    await exchange(stack.gateway, chat({}, prompt), alice);
    const calls = embedCalls;
    expect((await exchange(stack.gateway, chat({}, prompt), alice)).headers["x-switchyard-cache"]).toBe(
      "hit",
    );
    expect(embedCalls).toBe(calls);
    failEmbeddings = true;
    try {
      const answer = await exchange(stack.gateway, chat({}, `${prompt} Really?`), alice);
      expect(answer.status).toBe(200);
      expect(answer.headers["x-switchyard-cache"]).toBe("miss");
    } finally {
      failEmbeddings = false;
    }
  });
});
