import { readFile } from "node:fs/promises";
import { createGateway, silentLogger } from "@switchyard/core";
import { listen, type NodeGatewayServer } from "@switchyard/http/node";
import { createScriptedUpstream, type ScriptedUpstream } from "@switchyard/testing";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpenAIProvider } from "./openai-provider.js";

const fixture = (name: string) => readFile(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8");
const streamEvents = (text: string) => text.split(/(?<=\n\n)/);

describe("the OpenAI provider with recorded responses", () => {
  let upstream: ScriptedUpstream;
  let server: NodeGatewayServer;

  beforeAll(async () => {
    upstream = await createScriptedUpstream();
    const gateway = createGateway({
      logger: silentLogger,
      retry: false,
      providers: [
        createOpenAIProvider({
          baseURL: `${upstream.url}/v1`,
          apiKey: "sk-test",
          organization: "org-1",
          project: "proj-1",
          models: ["gpt-4o-mini"],
        }),
      ],
    });
    server = await listen(gateway, { port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await upstream.close();
  });

  const post = async (body: Record<string, unknown>) => {
    const response = await request(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello" }], ...body }),
    });
    return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
  };

  it("passes a recorded answer through byte for byte", async () => {
    const recorded = (await fixture("chat-completion.json")).trim();
    upstream.answer(() => ({
      json: { status: 200, body: recorded, headers: { "x-request-id": "req_upstream_1" } },
    }));
    const response = await post({});
    expect(response.text).toBe(recorded);
    expect(response.headers["x-upstream-request-id"]).toBe("req_upstream_1");
    const sent = upstream.requests.at(-1);
    expect(sent?.headers).toMatchObject({
      authorization: "Bearer sk-test",
      "openai-organization": "org-1",
      "openai-project": "proj-1",
    });
  });

  it("passes a recorded stream through byte for byte when the client asked for usage", async () => {
    const recorded = await fixture("chat-completion-stream.sse");
    upstream.answer(() => ({ stream: { events: streamEvents(recorded) } }));
    const response = await post({ stream: true, stream_options: { include_usage: true } });
    expect(response.text).toBe(recorded);
  });

  it("removes only the usage chunk when the client did not ask for usage", async () => {
    const recorded = await fixture("chat-completion-stream.sse");
    upstream.answer(() => ({ stream: { events: streamEvents(recorded) } }));
    const response = await post({ stream: true });
    const expected = streamEvents(recorded)
      .filter((event) => !event.includes('"choices":[]'))
      .join("");
    expect(response.text).toBe(expected);
    expect(upstream.requests.at(-1)?.body).toMatchObject({ stream_options: { include_usage: true } });
  });

  it("passes a recorded tool-call stream through, split at arbitrary byte boundaries", async () => {
    const recorded = await fixture("tool-call-stream.sse");
    // Cut the recording into odd-sized pieces so events straddle reads.
    const pieces: string[] = [];
    for (let at = 0; at < recorded.length; at += 37) pieces.push(recorded.slice(at, at + 37));
    upstream.answer(() => ({ stream: { events: pieces } }));
    const response = await post({ stream: true, stream_options: { include_usage: true } });
    expect(response.text).toBe(recorded);
  });

  it("keeps the upstream's rate-limit message and Retry-After", async () => {
    const body = await fixture("error-rate-limit.json");
    upstream.answer(() => ({ json: { status: 429, body, headers: { "retry-after": "20" } } }));
    const response = await post({});
    expect(response.status).toBe(429);
    expect(response.headers["retry-after"]).toBe("20");
    expect(JSON.parse(response.text).error.message).toContain("Rate limit reached for gpt-4o-mini");
  });
});

describe("createOpenAIProvider options", () => {
  it("lists the price table for api.openai.com and only the given models elsewhere", () => {
    const openai = createOpenAIProvider({ apiKey: "k" });
    expect(openai.models().find((model) => model.id === "gpt-4o-mini")?.price?.inputPerMillion).toBe(0.15);
    const local = createOpenAIProvider({
      name: "vllm",
      baseURL: "http://127.0.0.1:8000/v1",
      models: ["llama"],
    });
    expect(local.models().map((model) => model.id)).toEqual(["llama"]);
    expect(local.endpoints[0]).toMatchObject({
      origin: "http://127.0.0.1:8000",
      basePath: "/v1",
      headers: {},
    });
  });

  it("overrides a price from the table", () => {
    const provider = createOpenAIProvider({
      apiKey: "k",
      models: [{ id: "gpt-4o", price: { inputPerMillion: 1, outputPerMillion: 1 } }],
    });
    expect(provider.models().find((model) => model.id === "gpt-4o")).toMatchObject({
      operations: ["chat"],
      price: { inputPerMillion: 1 },
    });
  });

  it("drops stream_options for servers that refuse it", () => {
    const provider = createOpenAIProvider({ baseURL: "http://127.0.0.1:1/v1", streamUsage: false });
    const built = provider.buildRequest(
      {
        model: "m",
        messages: [{ role: "user", content: "x" }],
        stream: true,
        stream_options: { include_usage: true },
      },
      {
        operation: "chat",
        model: "m",
        endpoint: provider.endpoints[0] as never,
        context: {} as never,
        signal: new AbortController().signal,
      },
    );
    expect(JSON.parse(built.body ?? "{}")).not.toHaveProperty("stream_options");
  });

  it("refuses bad options, naming the field", () => {
    expect(() => createOpenAIProvider({ baseURL: "ftp://example.com" })).toThrow(/baseURL/);
    expect(() => createOpenAIProvider({ name: "has space" })).toThrow(/name/);
    expect(() => createOpenAIProvider({ endpoints: [] })).toThrow(/endpoints/);
  });

  it("spreads several endpoints", () => {
    const provider = createOpenAIProvider({
      name: "multi",
      endpoints: [
        { baseURL: "http://127.0.0.1:1/v1", apiKey: "a" },
        { baseURL: "http://127.0.0.1:2/v1", apiKey: "b", weight: 3 },
      ],
    });
    expect(provider.endpoints.map((endpoint) => [endpoint.id, endpoint.weight])).toEqual([
      ["multi#0", 1],
      ["multi#1", 3],
    ]);
  });
});

describe("the fast path keeps the upstream's exact bytes", () => {
  let upstream: ScriptedUpstream;
  let server: NodeGatewayServer;
  beforeAll(async () => {
    upstream = await createScriptedUpstream();
    const gateway = createGateway({
      logger: silentLogger,
      providers: [createOpenAIProvider({ baseURL: `${upstream.url}/v1`, models: ["gpt-4o-mini"] })],
      // Unrelated taps must not switch the fast path off.
      plugins: [
        { name: "observer", apply: (target) => target.hooks.requestCompleted.tap("observer", () => {}) },
      ],
    });
    server = await listen(gateway, { port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await upstream.close();
  });

  it("does not re-serialise a pretty-printed answer or spaced stream events", async () => {
    const pretty = JSON.stringify(JSON.parse((await fixture("chat-completion.json")).trim()), null, 2);
    upstream.answer(() => ({ json: { status: 200, body: pretty } }));
    const plain = await request(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] }),
    });
    expect(await plain.body.text()).toBe(pretty);

    const spaced = streamEvents(await fixture("chat-completion-stream.sse")).map((event) =>
      event.startsWith("data: {")
        ? `data: ${JSON.stringify(JSON.parse(event.slice(6)), null, 1).replace(/\n/g, "")}\n\n`
        : event,
    );
    upstream.answer(() => ({ stream: { events: spaced } }));
    const streamed = await request(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "gpt-4o-mini",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "Hi" }],
      }),
    });
    expect(await streamed.body.text()).toBe(spaced.join(""));
  });
});

describe("several endpoints", () => {
  it("inherit the top-level key, headers and weight", () => {
    const provider = createOpenAIProvider({
      name: "inherit",
      apiKey: "top-key",
      headers: { "x-team": "a" },
      weight: 2,
      endpoints: [
        { baseURL: "http://127.0.0.1:1/v1" },
        { baseURL: "http://127.0.0.1:2/v1", apiKey: "own-key", weight: 5 },
      ],
    });
    expect(
      provider.endpoints.map((endpoint) => [
        endpoint.headers.authorization,
        endpoint.headers["x-team"],
        endpoint.weight,
      ]),
    ).toEqual([
      ["Bearer top-key", "a", 2],
      ["Bearer own-key", "a", 5],
    ]);
  });
});
