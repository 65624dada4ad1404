import { silentLogger } from "@switchyard/core";
import { listen, type NodeGatewayServer } from "@switchyard/http/node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createExampleGateway, type ExampleGateway } from "../src/example-gateway.js";
import { createHouseRulesPlugin } from "../src/house-rules-plugin.js";
import { ANONYMOUS, createUsageLedger } from "../src/usage-ledger.js";

const SYSTEM_PROMPT = "You are the example's assistant. Be brief.";
const MAX_TOKENS = 8;
const ALICE_KEY = "sk-example-alice-0123456789";
const BOB_KEY = "sk-example-bob-0123456789ab";
// The mock provider's fictional price, in USD per million tokens.
const MOCK_PRICE = { input: 1, output: 2 };

interface ChatBody {
  model?: string;
  messages: Array<{ role: string; content: unknown }>;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  [key: string]: unknown;
}

interface ChatResponse {
  object: string;
  choices: Array<{ message: { content: string }; finish_reason: string }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

describe("custom-plugin example", () => {
  let example: ExampleGateway;
  let server: NodeGatewayServer;
  /** Chat request bodies as the mock upstream received them, after every transform. */
  let upstreamBodies: ChatBody[];

  beforeEach(async () => {
    example = createExampleGateway({
      systemPrompt: SYSTEM_PROMPT,
      maxTokens: MAX_TOKENS,
      keys: [
        { id: "alice", key: ALICE_KEY },
        { id: "bob", key: BOB_KEY },
      ],
      logger: silentLogger,
    });
    server = await listen(example.gateway, { port: 0 });
    // The upstream exists once the gateway has started. Its `requests` list stays empty (the mock provider
    // turns recording off), so listen to its "request" event instead.
    const upstream = example.mock.upstream;
    if (!upstream) throw new Error("the mock upstream did not start");
    upstreamBodies = [];
    upstream.on("request", (request) => {
      if (request.path.startsWith("/v1/chat/completions")) upstreamBodies.push(request.body as ChatBody);
    });
  });

  afterEach(async () => {
    await server.close();
  });

  async function chat(body: Partial<ChatBody>, key?: string): Promise<Response> {
    return fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      },
      body: JSON.stringify({
        model: "mock-1",
        messages: [{ role: "user", content: "Hello there." }],
        ...body,
      }),
    });
  }

  async function chatJson(body: Partial<ChatBody>, key?: string): Promise<ChatResponse> {
    const response = await chat(body, key);
    expect(response.status).toBe(200);
    return (await response.json()) as ChatResponse;
  }

  describe("transformRequest tap", () => {
    it("puts the default system prompt first when the client sent none", async () => {
      await chatJson({
        messages: [
          { role: "user", content: "First question." },
          { role: "assistant", content: "An answer." },
          { role: "user", content: "Second question." },
        ],
      });
      expect(upstreamBodies).toHaveLength(1);
      expect(upstreamBodies[0]?.messages).toEqual([
        { role: "system", content: SYSTEM_PROMPT },
        { role: "user", content: "First question." },
        { role: "assistant", content: "An answer." },
        { role: "user", content: "Second question." },
      ]);
    });

    it("leaves a client's own system or developer message alone", async () => {
      const own = [
        { role: "developer", content: "Answer in French." },
        { role: "user", content: "Hello." },
      ];
      await chatJson({ messages: own });
      expect(upstreamBodies[0]?.messages).toEqual(own);
    });

    it("lowers a larger max_tokens to the cap, and the reply stops there", async () => {
      const response = await chatJson({ max_tokens: 500 });
      expect(upstreamBodies[0]?.max_tokens).toBe(MAX_TOKENS);
      // The mock writes 16 tokens by default: the cap is what cut it short.
      expect(response.usage.completion_tokens).toBe(MAX_TOKENS);
      expect(response.choices[0]?.finish_reason).toBe("length");
    });

    it("gives the cap to requests that set no limit, and keeps smaller limits", async () => {
      await chatJson({});
      await chatJson({ max_tokens: 3 });
      await chatJson({ max_completion_tokens: 100 });
      expect(upstreamBodies.map((body) => [body.max_tokens, body.max_completion_tokens])).toEqual([
        [MAX_TOKENS, undefined],
        [3, undefined],
        [undefined, MAX_TOKENS],
      ]);
    });
  });

  describe("requestCompleted tap", () => {
    it("records the usage each response reported, under the caller's principal", async () => {
      const first = await chatJson({ messages: [{ role: "user", content: "one two three" }] }, ALICE_KEY);
      const second = await chatJson({ messages: [{ role: "user", content: "four five" }] }, BOB_KEY);
      const third = await chatJson({}, ALICE_KEY);

      // The tap runs when the response is finished, before its last byte is written: no waiting needed.
      const entries = example.ledger.entries();
      expect(entries).toHaveLength(3);
      expect(entries.map((entry) => entry.principal)).toEqual(["alice", "bob", "alice"]);
      [first, second, third].forEach((response, index) => {
        expect(entries[index]).toMatchObject({
          model: "mock-1",
          promptTokens: response.usage.prompt_tokens,
          completionTokens: response.usage.completion_tokens,
          totalTokens: response.usage.total_tokens,
        });
        const expectedCost =
          (response.usage.prompt_tokens * MOCK_PRICE.input +
            response.usage.completion_tokens * MOCK_PRICE.output) /
          1_000_000;
        expect(entries[index]?.cost).toBeCloseTo(expectedCost, 12);
      });

      const alice = example.ledger.totals("alice");
      expect(alice.requests).toBe(2);
      expect(alice.totalTokens).toBe(first.usage.total_tokens + third.usage.total_tokens);
      expect(example.ledger.totals("bob").totalTokens).toBe(second.usage.total_tokens);
      expect(example.ledger.principals()).toEqual(["alice", "bob"]);
    });

    it("records callers without a key as anonymous, and nothing for refused requests", async () => {
      await chatJson({});
      const refused = await chat({}, "sk-not-a-configured-key-000");
      expect(refused.status).toBe(401);
      await refused.body?.cancel();
      expect(example.ledger.principals()).toEqual([ANONYMOUS]);
      expect(example.ledger.totals(ANONYMOUS).requests).toBe(1);
    });

    it("records a stream's usage, even when the client did not ask to see it", async () => {
      const response = await chat({ stream: true }, BOB_KEY);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
      expect(text).not.toContain('"prompt_tokens"');
      const streamedTokens = text
        .split("\n\n")
        .filter((event) => event.startsWith("data: {"))
        .map(
          (event) =>
            JSON.parse(event.slice("data: ".length)) as { choices: Array<{ delta: { content?: string } }> },
        )
        .filter((chunk) => (chunk.choices[0]?.delta.content ?? "") !== "").length;

      expect(streamedTokens).toBe(MAX_TOKENS);
      expect(example.ledger.entries()).toEqual([
        expect.objectContaining({ principal: "bob", completionTokens: MAX_TOKENS }),
      ]);
    });

    it("records the same usage a stream reported when the client asked for it", async () => {
      const response = await chat({ stream: true, stream_options: { include_usage: true } }, ALICE_KEY);
      const usageEvent = (await response.text())
        .split("\n\n")
        .filter((event) => event.startsWith("data: {"))
        .map((event) => JSON.parse(event.slice("data: ".length)) as { usage?: ChatResponse["usage"] | null })
        .find((chunk) => chunk.usage);
      expect(usageEvent?.usage).toBeDefined();
      expect(example.ledger.entries()).toEqual([
        expect.objectContaining({
          principal: "alice",
          promptTokens: usageEvent?.usage?.prompt_tokens,
          completionTokens: usageEvent?.usage?.completion_tokens,
          totalTokens: usageEvent?.usage?.total_tokens,
        }),
      ]);
    });
  });
});

describe("createHouseRulesPlugin", () => {
  it("rejects bad options when it is created, not on the first request", () => {
    const ledger = createUsageLedger();
    expect(() => createHouseRulesPlugin({ maxTokens: 0, ledger })).toThrow(/maxTokens/);
    expect(() => createHouseRulesPlugin({ maxTokens: 2.5, ledger })).toThrow(/maxTokens/);
    expect(() => createHouseRulesPlugin({ systemPrompt: "  ", ledger })).toThrow(/systemPrompt/);
    expect(() => createHouseRulesPlugin({} as never)).toThrow(/ledger/);
    expect(createHouseRulesPlugin({ ledger }).name).toBe("example:house-rules");
  });
});
