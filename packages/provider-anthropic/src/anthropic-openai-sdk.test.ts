import { readFile } from "node:fs/promises";
import { createGateway, silentLogger } from "@switchyard/core";
import { listen, type NodeGatewayServer } from "@switchyard/http/node";
import { createScriptedUpstream, type ScriptedUpstream, type WireAnswer } from "@switchyard/testing";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anthropicMessagesRequestSchema } from "./anthropic-api.js";
import { createAnthropicProvider } from "./anthropic-provider.js";

const fixture = (name: string) => readFile(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8");
const MODEL = "claude-haiku-4-5";
const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

// What users run: the official openai SDK pointed at the gateway, which talks to a fake Anthropic API that
// answers with recorded responses.
describe("the official openai SDK through the gateway to Anthropic", () => {
  let upstream: ScriptedUpstream;
  let server: NodeGatewayServer;
  let client: OpenAI;
  let refused: unknown[] = [];

  beforeAll(async () => {
    upstream = await createScriptedUpstream();
    const gateway = createGateway({
      logger: silentLogger,
      retry: false,
      providers: [createAnthropicProvider({ baseURL: upstream.url, apiKey: "sk-ant-e2e", models: [MODEL] })],
    });
    server = await listen(gateway, { port: 0 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "x", maxRetries: 0 });
  });
  afterAll(async () => {
    await server.close();
    await upstream.close();
  });

  /** Answers the next requests with `answer`, checking each the way the API would. */
  function script(answer: WireAnswer) {
    refused = [];
    upstream.answer((request) => {
      const checked = anthropicMessagesRequestSchema.safeParse(request.body);
      if (!checked.success || request.headers["x-api-key"] !== "sk-ant-e2e")
        refused.push(checked.error ?? "key");
      return answer;
    });
  }
  const sentBody = () => upstream.requests.at(-1)?.body as Record<string, unknown>;

  it("answers a chat completion with text, finish_reason, usage and Anthropic's request id", async () => {
    script({
      json: { status: 200, body: await fixture("message-text.json"), headers: { "request-id": "req_e2e_1" } },
    });
    const { data, response } = await client.chat.completions
      .create({
        model: MODEL,
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Who are you?" },
        ],
      })
      .withResponse();
    expect(refused).toEqual([]);
    expect(data.choices[0]?.message.content).toBe("Hi! My name is Claude.");
    expect(data.choices[0]?.finish_reason).toBe("stop");
    expect(data.usage).toMatchObject({ prompt_tokens: 2095, completion_tokens: 503, total_tokens: 2598 });
    expect(response.headers.get("x-upstream-request-id")).toBe("req_e2e_1");
    expect(sentBody()).toMatchObject({ system: [{ type: "text", text: "Be brief." }] });
  });

  it("streams text with usage in the last chunk", async () => {
    script({ stream: { events: (await fixture("stream-text.sse")).split(/(?<=\n\n)/) } });
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "How are you?" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    const finish: string[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.choices[0]?.finish_reason) finish.push(chunk.choices[0].finish_reason);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(refused).toEqual([]);
    expect(text).toBe(
      "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?",
    );
    expect(finish).toEqual(["stop"]);
    expect(usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 });
  });

  it("returns a tool call whose JSON arguments parse", async () => {
    script({ json: { status: 200, body: await fixture("message-weather-tool.json") } });
    const completion = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "Weather in SF?" }],
      tools: [weatherTool],
      tool_choice: "required",
    });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual({
      location: "San Francisco",
    });
    expect(sentBody()).toMatchObject({ tool_choice: { type: "any" }, tools: [{ name: "get_weather" }] });
  });

  it("streams a tool call the SDK reassembles, then sends the result back as a tool_result turn", async () => {
    const recorded = await fixture("stream-tool-use.sse");
    const pieces = recorded.match(/[\s\S]{1,29}/g) ?? [];
    script({ stream: { events: pieces } });
    const runner = client.chat.completions.stream({
      model: MODEL,
      messages: [{ role: "user", content: "Weather in SF?" }],
      tools: [weatherTool],
      stream_options: { include_usage: true },
    });
    const final = await runner.finalChatCompletion();
    const message = final.choices[0]?.message;
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
    expect(message?.content).toBe("Let me check.");
    const call = message?.tool_calls?.[0];
    if (call?.type !== "function") throw new Error("no function call");
    expect(call.id).toBe("toolu_01Ni1uw4HXYxUhc4iFMqx7yY");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "San Francisco" });
    expect(final.usage).toMatchObject({ prompt_tokens: 624, completion_tokens: 59 });

    script({ json: { status: 200, body: await fixture("message-text.json") } });
    await client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: "user", content: "Weather in SF?" },
        { role: "assistant", content: message?.content ?? null, tool_calls: message?.tool_calls ?? [] },
        { role: "tool", tool_call_id: call.id, content: "18C and sunny" },
      ],
      tools: [weatherTool],
    });
    expect(refused).toEqual([]);
    expect((sentBody().messages as unknown[]).slice(1)).toEqual([
      {
        role: "assistant",
        content: [
          { type: "text", text: "Let me check." },
          {
            type: "tool_use",
            id: "toolu_01Ni1uw4HXYxUhc4iFMqx7yY",
            name: "get_weather",
            input: { city: "San Francisco" },
          },
        ],
      },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "toolu_01Ni1uw4HXYxUhc4iFMqx7yY",
            content: [{ type: "text", text: "18C and sunny" }],
          },
        ],
      },
    ]);
  });

  it("streams structured output as JSON content", async () => {
    script({ stream: { events: (await fixture("stream-json-tool.sse")).split(/(?<=\n\n)/) } });
    const runner = client.chat.completions.stream({
      model: MODEL,
      messages: [{ role: "user", content: "Weather report as JSON" }],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "json",
          strict: true,
          schema: { type: "object", properties: { elements: { type: "array" } } },
        },
      },
    });
    const final = await runner.finalChatCompletion();
    expect(refused).toEqual([]);
    expect(final.choices[0]?.finish_reason).toBe("stop");
    expect(final.choices[0]?.message.tool_calls ?? []).toEqual([]);
    expect(JSON.parse(final.choices[0]?.message.content ?? "")).toEqual({
      elements: [{ location: "San Francisco", temperature: 58, condition: "sunny" }],
    });
  });

  it("sends images by URL and as base64", async () => {
    script({ json: { status: 200, body: await fixture("message-text.json") } });
    await client.chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Compare" },
            { type: "image_url", image_url: { url: "https://upload.example/cat.jpg" } },
            {
              type: "image_url",
              image_url: { url: "data:image/jpeg;base64,/9j/4AAQSkZJRg==", detail: "low" },
            },
          ],
        },
      ],
    });
    expect(refused).toEqual([]);
    expect((sentBody().messages as Array<{ content: unknown }>)[0]?.content).toEqual([
      { type: "text", text: "Compare" },
      { type: "image", source: { type: "url", url: "https://upload.example/cat.jpg" } },
      { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQSkZJRg==" } },
    ]);
  });

  it("raises an overload that arrives mid-stream as an APIError", async () => {
    const events = (await fixture("stream-text.sse")).split(/(?<=\n\n)/);
    script({ stream: { events: [...events.slice(0, 5), await fixture("stream-error-overloaded.sse")] } });
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
    });
    let text = "";
    const failure = await (async () => {
      try {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(text).toBe("Hello! I");
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(String((failure as Error).message)).toContain("Overloaded");
  });

  it("raises a 529 as a 503 APIError with the upstream message", async () => {
    script({ json: { status: 529, body: await fixture("error-overloaded.json") } });
    const failure = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: "user", content: "Hi" }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((failure as InstanceType<typeof OpenAI.APIError>).code).toBe("upstream_overloaded");
  });
});
