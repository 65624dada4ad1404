import { readFile } from "node:fs/promises";
import Anthropic from "@anthropic-ai/sdk";
import { createGateway, type Gateway, silentLogger, type Usage } from "@switchyard/core";
import { listen, type NodeGatewayServer } from "@switchyard/http/node";
import { createAnthropicProvider } from "@switchyard/provider-anthropic";
import { createScriptedUpstream, type ScriptedUpstream } from "@switchyard/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAnthropicDialect } from "../src/index.js";

const recorded = (name: string) =>
  readFile(new URL(`../../provider-anthropic/src/__fixtures__/${name}`, import.meta.url), "utf8");
const own = (name: string) => readFile(new URL(`../src/__fixtures__/${name}`, import.meta.url), "utf8");
const events = (text: string) => text.split(/(?<=\n\n)/);

// A request only the Anthropic API understands: extended thinking, prompt-cache breakpoints on the system
// prompt and a tool, a server tool, a top_k. Through the passthrough it must reach the upstream unchanged.
const anthropicOnly = {
  model: "claude-alias",
  max_tokens: 2048,
  thinking: { type: "enabled" as const, budget_tokens: 1024 },
  system: [{ type: "text" as const, text: "You are terse.", cache_control: { type: "ephemeral" as const } }],
  tools: [
    {
      name: "get_weather",
      input_schema: { type: "object" as const, properties: { city: { type: "string" } } },
      cache_control: { type: "ephemeral" as const, ttl: "1h" as const },
    },
    { type: "web_search_20250305" as const, name: "web_search" as const, max_uses: 2 },
  ],
  top_k: 5,
  messages: [{ role: "user" as const, content: "hey" }],
};

function startGateway(upstream: ScriptedUpstream, configure?: (gateway: Gateway) => void) {
  const gateway = createGateway({
    logger: silentLogger,
    retry: false,
    dialects: [createAnthropicDialect()],
    providers: [
      createAnthropicProvider({
        baseURL: upstream.url,
        apiKey: "sk-ant-upstream",
        headers: { "anthropic-beta": "token-efficient-tools-2025-02-19" },
        models: ["claude-3-7-sonnet-20250219"],
      }),
    ],
  });
  // An alias, so the passthrough has a model to replace.
  gateway.hooks.resolveRoute.tap({ name: "test-alias", stage: 10 }, (plan, context) =>
    context.model === "claude-alias"
      ? {
          targets: [
            { provider: gateway.providers.get("anthropic") as never, model: "claude-3-7-sonnet-20250219" },
          ],
        }
      : plan,
  );
  configure?.(gateway);
  return listen(gateway, { port: 0 });
}

describe("the Anthropic SDK through the gateway to an Anthropic upstream: byte passthrough", () => {
  let upstream: ScriptedUpstream;
  let server: NodeGatewayServer;
  let client: Anthropic;
  const usages: Array<Usage | undefined> = [];

  beforeAll(async () => {
    upstream = await createScriptedUpstream();
    server = await startGateway(upstream, (gateway) => {
      gateway.hooks.requestCompleted.tapPromise("test-usage", async (context) => {
        usages.push(context.usage);
      });
    });
    client = new Anthropic({ baseURL: server.url, apiKey: "sk-client", maxRetries: 0 });
  });
  afterAll(async () => {
    await server.close();
    await upstream.close();
  });
  afterEach(() => {
    usages.length = 0;
  });

  it("sends the client's body as is (model replaced) and returns the upstream's bytes untouched", async () => {
    const answer = await own("message-thinking.json");
    upstream.answer(() => ({ json: { status: 200, body: answer, headers: { "request-id": "req_up_1" } } }));
    const response = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
        "anthropic-beta": "interleaved-thinking-2025-05-14",
      },
      body: JSON.stringify(anthropicOnly),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(answer);
    expect(response.headers.get("x-upstream-request-id")).toBe("req_up_1");
    const sent = upstream.requests.at(-1);
    expect(sent?.url).toBe("/v1/messages");
    expect(sent?.body).toEqual({ ...anthropicOnly, model: "claude-3-7-sonnet-20250219" });
    expect(sent?.headers["x-api-key"]).toBe("sk-ant-upstream");
    expect(sent?.headers["anthropic-beta"]).toBe(
      "token-efficient-tools-2025-02-19,interleaved-thinking-2025-05-14",
    );
    await expect.poll(() => usages.length).toBe(1);
    expect(usages[0]).toMatchObject({ prompt_tokens: 778 + 512, completion_tokens: 104 });
  });

  it("gives the SDK its thinking block, signature included", async () => {
    const answer = await own("message-thinking.json");
    upstream.answer(() => ({ json: { status: 200, body: answer } }));
    const message = await client.messages.create(anthropicOnly);
    expect(message.content[0]).toMatchObject({ type: "thinking", signature: expect.stringMatching(/^ErUB/) });
    expect(message.usage).toMatchObject({
      input_tokens: 778,
      cache_read_input_tokens: 512,
      output_tokens: 104,
    });
  });

  it("streams the upstream's events byte for byte, and the gateway still reads the usage", async () => {
    const stream = await recorded("stream-thinking.sse");
    upstream.answer(() => ({ stream: { events: events(stream) } }));
    const response = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...anthropicOnly, stream: true }),
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(await response.text()).toBe(stream);
    expect(upstream.requests.at(-1)?.body).toMatchObject({ stream: true, thinking: anthropicOnly.thinking });
    await expect.poll(() => usages.length).toBe(1);
    expect(usages[0]).toMatchObject({ prompt_tokens: 778, completion_tokens: 104 });
  });

  it("gives the SDK a streamed thinking block", async () => {
    upstream.answer(async () => ({ stream: { events: events(await recorded("stream-thinking.sse")) } }));
    const message = await client.messages.stream(anthropicOnly).finalMessage();
    expect(message.content.map((block) => block.type)).toEqual(["thinking", "text"]);
    expect(message.content[0]).toMatchObject({ signature: expect.stringMatching(/^ErUB/) });
  });

  it("raises an upstream overload mid-stream as an APIError of type overloaded_error", async () => {
    const head = events(await recorded("stream-text.sse")).slice(0, 3);
    const overloaded = await recorded("stream-error-overloaded.sse");
    upstream.answer(() => ({ stream: { events: [...head, overloaded] } }));
    const failure = await client.messages
      .stream({ ...anthropicOnly, thinking: undefined })
      .finalMessage()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.APIError);
    expect(failure).toMatchObject({ error: { type: "error", error: { type: "overloaded_error" } } });
  });

  it("answers an upstream 404 as NotFoundError with Anthropic's error body", async () => {
    const body = await recorded("error-not-found.json");
    upstream.answer(() => ({ json: { status: 404, body } }));
    const failure = await client.messages.create(anthropicOnly).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.NotFoundError);
    expect(failure).toMatchObject({
      status: 404,
      error: { type: "error", error: { type: "not_found_error" } },
    });
  });
});

describe("the Anthropic SDK to an Anthropic upstream through the canonical form (a transform hook is tapped)", () => {
  let upstream: ScriptedUpstream;
  let server: NodeGatewayServer;
  let client: Anthropic;

  beforeAll(async () => {
    upstream = await createScriptedUpstream();
    server = await startGateway(upstream, (gateway) => {
      // Any transform tap turns the passthrough off: the request is rebuilt from the canonical form.
      gateway.hooks.transformRequest.tapPromise("test-transform", async (request) => request);
    });
    client = new Anthropic({ baseURL: server.url, apiKey: "sk-client", maxRetries: 0 });
  });
  afterAll(async () => {
    await server.close();
    await upstream.close();
  });

  it("streams a recorded tool call back as the same tool_use, and sends what the provider builds", async () => {
    upstream.answer(async () => ({ stream: { events: events(await recorded("stream-tool-use.sse")) } }));
    const message = await client.messages
      .stream({
        model: "claude-alias",
        max_tokens: 300,
        system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
        tools: [
          { name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } },
        ],
        messages: [{ role: "user", content: "Weather in SF?" }],
      })
      .finalMessage();
    expect(message.content).toEqual([
      { type: "text", text: "Let me check." },
      {
        type: "tool_use",
        id: "toolu_01Ni1uw4HXYxUhc4iFMqx7yY",
        name: "get_weather",
        input: { city: "San Francisco" },
      },
    ]);
    expect(message.stop_reason).toBe("tool_use");
    expect(message.usage).toMatchObject({ input_tokens: 624, output_tokens: 59 });
    // Rebuilt by the provider from the canonical request: Anthropic-only settings are not there.
    expect(upstream.requests.at(-1)?.body).toEqual({
      model: "claude-3-7-sonnet-20250219",
      max_tokens: 300,
      system: [{ type: "text", text: "Be brief." }],
      messages: [{ role: "user", content: [{ type: "text", text: "Weather in SF?" }] }],
      tools: [
        { name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } },
      ],
      stream: true,
    });
  });

  it("answers a recorded complete message", async () => {
    upstream.answer(async () => ({
      json: { status: 200, body: await recorded("message-weather-tool.json") },
    }));
    const message = await client.messages.create({
      model: "claude-alias",
      max_tokens: 300,
      messages: [{ role: "user", content: "Weather in SF?" }],
      tools: [{ name: "weather", input_schema: { type: "object" } }],
    });
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toEqual([
      {
        type: "tool_use",
        id: "toolu_01PQjhxo3eirCdKNvCJrKc8f",
        name: "weather",
        input: { location: "San Francisco" },
      },
    ]);
    expect(message.usage).toEqual({ input_tokens: 843, output_tokens: 28 });
  });
});
