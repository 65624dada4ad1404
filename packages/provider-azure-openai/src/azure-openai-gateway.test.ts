import { readFile } from "node:fs/promises";
import { createGateway, type Gateway, silentLogger } from "@switchyard/core";
import { listen, type NodeGatewayServer } from "@switchyard/http/node";
import { createScriptedUpstream, type ScriptedUpstream } from "@switchyard/testing";
import OpenAI from "openai";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAzureOpenAIProvider } from "./azure-openai-provider.js";

const fixture = (name: string) => readFile(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8");
const streamEvents = (text: string) => text.split(/(?<=\n\n)/);
const usageEvent = (event: string) => event.includes('"usage":{');

describe("Azure OpenAI through a real gateway, with the openai SDK", () => {
  let upstream: ScriptedUpstream;
  let server: NodeGatewayServer;
  let transformed: NodeGatewayServer;
  let client: OpenAI;
  let tokens = 0;

  beforeAll(async () => {
    upstream = await createScriptedUpstream();
    const providers = () => [
      createAzureOpenAIProvider({
        baseURL: upstream.url,
        apiKey: "azure-key",
        deployments: { "gpt-4o": "prod-gpt4o" },
      }),
      createAzureOpenAIProvider({
        name: "entra",
        baseURL: upstream.url,
        azureADTokenProvider: async () => `entra-token-${++tokens}`,
      }),
    ];
    server = await listen(createGateway({ logger: silentLogger, retry: false, providers: providers() }), {
      port: 0,
    });
    // A second gateway with a stream transform tapped: Azure chunks then go through the translator.
    const withTransform: Gateway = createGateway({
      logger: silentLogger,
      retry: false,
      providers: providers(),
      plugins: [
        {
          name: "test:mark",
          apply(gateway) {
            gateway.hooks.transformStreamChunk.tap("test:mark", (chunk) => ({ ...chunk, marked: true }));
          },
        },
      ],
    });
    transformed = await listen(withTransform, { port: 0 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "x", maxRetries: 0 });
  });
  afterAll(async () => {
    await transformed?.close();
    await server?.close();
    await upstream?.close();
  });

  const post = async (base: string, body: Record<string, unknown>) => {
    const response = await request(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "Hello" }], ...body }),
    });
    return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
  };

  it("answers through the SDK with Azure's filter annotations kept and its request id passed on", async () => {
    const recorded = (await fixture("chat-completion.json")).trim();
    upstream.answer(() => ({
      json: {
        status: 200,
        body: recorded,
        headers: { "x-request-id": "3a8b1a44-a02c", "apim-request-id": "bb943c68-99ed" },
      },
    }));
    const { data, response } = await client.chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "When does the night train leave?" }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe(
      "The night train leaves Oslo at 23:05 and reaches Trondheim at 06:40.",
    );
    expect(data.choices[0]?.finish_reason).toBe("stop");
    expect(data.usage).toMatchObject({ prompt_tokens: 24, completion_tokens: 19, total_tokens: 43 });
    expect((data as unknown as { prompt_filter_results: unknown[] }).prompt_filter_results).toHaveLength(1);
    expect(response.headers.get("x-upstream-request-id")).toBe("3a8b1a44-a02c");
    const sent = upstream.requests.at(-1);
    expect(sent?.url).toBe("/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21");
    expect(sent?.headers["api-key"]).toBe("azure-key");
    expect(sent?.headers.authorization).toBeUndefined();
  });

  it("forwards the annotation-only chunk (choices: [], no usage) and drops only the usage chunk", async () => {
    const recorded = await fixture("chat-completion-stream.sse");
    upstream.answer(() => ({ stream: { events: streamEvents(recorded) } }));
    const response = await post(server.url, { stream: true });
    const expected = streamEvents(recorded).filter((event) => !usageEvent(event));
    expect(expected).toHaveLength(streamEvents(recorded).length - 1);
    expect(response.text).toBe(expected.join(""));
    expect(response.text.startsWith('data: {"choices":[],"created":0,"id":""')).toBe(true);
    expect(upstream.requests.at(-1)?.body).toMatchObject({ stream_options: { include_usage: true } });
  });

  it("passes the recorded stream through byte for byte when the client asked for usage", async () => {
    const recorded = await fixture("chat-completion-stream.sse");
    const pieces: string[] = [];
    for (let at = 0; at < recorded.length; at += 41) pieces.push(recorded.slice(at, at + 41));
    upstream.answer(() => ({ stream: { events: pieces } }));
    const response = await post(server.url, { stream: true, stream_options: { include_usage: true } });
    expect(response.text).toBe(recorded);
  });

  it("streams text, the annotation chunk and usage to the SDK", async () => {
    const recorded = await fixture("chat-completion-stream.sse");
    upstream.answer(() => ({ stream: { events: streamEvents(recorded) } }));
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "When?" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices).toEqual([]);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe(
      "The night train leaves Oslo at 23:05.",
    );
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 24, completion_tokens: 10 });
  });

  it("reassembles a streamed tool call through the SDK", async () => {
    const recorded = await fixture("tool-call-stream.sse");
    upstream.answer(() => ({ stream: { events: streamEvents(recorded) } }));
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Two quiet seats from Oslo" }],
      tools: [{ type: "function", function: { name: "find_train", parameters: { type: "object" } } }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let name = "";
    let args = "";
    let finish: string | null = null;
    let usage: unknown;
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        name += call.function?.name ?? "";
        args += call.function?.arguments ?? "";
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(name).toBe("find_train");
    expect(JSON.parse(args)).toEqual({ from: "Oslo", seats: 2, quiet: true });
    expect(finish).toBe("tool_calls");
    expect(usage).toMatchObject({ prompt_tokens: 71, completion_tokens: 22 });
  });

  it("keeps the annotation chunk on the translated path (a stream transform tapped)", async () => {
    const recorded = await fixture("chat-completion-stream.sse");
    upstream.answer(() => ({ stream: { events: streamEvents(recorded) } }));
    const response = await post(transformed.url, { stream: true });
    const data = response.text
      .split("\n\n")
      .filter((block) => block.startsWith("data: "))
      .map((block) => block.slice(6));
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((text) => JSON.parse(text));
    expect(chunks[0]).toMatchObject({
      choices: [],
      marked: true,
      prompt_filter_results: [{ prompt_index: 0 }],
    });
    expect(chunks.some((chunk) => chunk.usage)).toBe(false);
    expect(chunks).toHaveLength(streamEvents(recorded).length - 2);
  });

  it("answers a completion cut by the filter with finish_reason content_filter", async () => {
    const recorded = (await fixture("chat-completion-content-filtered.json")).trim();
    upstream.answer(() => ({ json: { status: 200, body: recorded } }));
    const completion = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "x" }],
    });
    expect(completion.choices[0]?.finish_reason).toBe("content_filter");
    expect(completion.choices[0]?.message.content).toBeNull();
  });

  it("raises a prompt blocked by the filter as a 400 content_filter error in the SDK", async () => {
    const body = await fixture("error-content-filter.json");
    upstream.answer(() => ({ json: { status: 400, body } }));
    const failure = await client.chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect(failure).toMatchObject({ status: 400, code: "content_filter", param: "messages" });
    expect((failure as Error).message).toContain("content management policy");
    expect((failure as Error).message).toContain("violence (high)");
  });

  it("turns retry-after-ms on a 429 into a whole-second Retry-After", async () => {
    const body = await fixture("error-rate-limit.json");
    upstream.answer(() => ({ json: { status: 429, body, headers: { "retry-after-ms": "6500" } } }));
    const response = await post(server.url, {});
    expect(response.status).toBe(429);
    expect(response.headers["retry-after"]).toBe("7");
    expect(JSON.parse(response.text).error).toMatchObject({ code: "upstream_rate_limited" });
  });

  it("answers a missing deployment with 404 and Azure's code in the message", async () => {
    const body = await fixture("error-deployment-not-found.json");
    upstream.answer(() => ({ json: { status: 404, body } }));
    const failure = await client.chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
    expect((failure as Error).message).toContain("DeploymentNotFound: The API deployment");
  });

  it("sends a fresh Entra ID token with every request", async () => {
    const recorded = (await fixture("chat-completion.json")).trim();
    upstream.answer(() => ({ json: { status: 200, body: recorded } }));
    const before = tokens;
    await client.chat.completions.create({
      model: "entra/gpt-4o-mini",
      messages: [{ role: "user", content: "a" }],
    });
    await client.chat.completions.create({
      model: "entra/gpt-4o-mini",
      messages: [{ role: "user", content: "b" }],
    });
    const sent = upstream.requests.slice(-2);
    expect(sent.map((wire) => wire.headers.authorization)).toEqual([
      `Bearer entra-token-${before + 1}`,
      `Bearer entra-token-${before + 2}`,
    ]);
    expect(sent[0]?.url).toBe("/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21");
    expect(sent[0]?.headers["api-key"]).toBeUndefined();
  });
});
