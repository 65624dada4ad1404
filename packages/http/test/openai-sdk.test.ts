import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adapters } from "./adapters.js";
import { chatBody, postJson, type Stack, sdkChat, startStack } from "./helpers.js";

// The official SDK is the client users point at the gateway: what it sees is what they get, whichever
// adapter serves it (each mounted under /llm).
describe.each(adapters)("the official openai SDK through the $name adapter", (adapter) => {
  let stack: Stack;
  let client: OpenAI;

  beforeAll(async () => {
    stack = await startStack({ adapter, listen: { pathPrefix: "/llm" } });
    client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "unused-by-this-gateway", maxRetries: 0 });
  });
  afterAll(() => stack.close());

  async function direct(body: Record<string, unknown>) {
    const response = await postJson(`${stack.upstream.url}/v1/chat/completions`, body, {
      authorization: "Bearer sk-upstream-secret",
    });
    expect(response.status).toBe(200);
    return response.body;
  }

  it("returns the upstream's answer unchanged (non-streaming)", async () => {
    const expected = await direct(chatBody());
    const completion = await client.chat.completions.create(sdkChat);
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices).toEqual(expected.choices);
    expect(completion.usage).toEqual(expected.usage);
  });

  it("streams the same text, with no usage chunk when the client did not ask for one", async () => {
    const expected = await direct(chatBody());
    const stream = await client.chat.completions.create({ ...sdkChat, stream: true });
    let text = "";
    let finish: string | null = null;
    let usageChunks = 0;
    for await (const chunk of stream) {
      if (chunk.usage) usageChunks++;
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? "";
        finish = choice.finish_reason ?? finish;
      }
    }
    expect(text).toBe(expected.choices[0].message.content);
    expect(finish).toBe("stop");
    expect(usageChunks).toBe(0);
    // ...yet the gateway asked upstream for usage, so it still knows it.
    const sent = stack.upstream.requests.at(-1);
    expect((sent?.body as { stream_options?: unknown } | undefined)?.stream_options).toEqual({
      include_usage: true,
    });
  });

  it("delivers usage on the final chunk when the client asks", async () => {
    const expected = await direct(chatBody());
    const stream = await client.chat.completions.create({
      ...sdkChat,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual(expected.usage);
  });

  it("reassembles streamed tool-call arguments", async () => {
    const tools = [
      {
        type: "function" as const,
        function: {
          name: "find_train",
          parameters: {
            type: "object",
            properties: { from: { type: "string" }, seats: { type: "number" } },
            required: ["from", "seats"],
          },
        },
      },
    ];
    const plain = await client.chat.completions.create({ ...sdkChat, tools });
    expect(plain.choices[0]?.finish_reason).toBe("tool_calls");
    const call = plain.choices[0]?.message.tool_calls?.[0];
    const stream = await client.chat.completions.create({ ...sdkChat, tools, stream: true });
    let name = "";
    let args = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta;
      for (const toolCall of delta?.tool_calls ?? []) {
        expect(toolCall.index).toBe(0);
        name += toolCall.function?.name ?? "";
        args += toolCall.function?.arguments ?? "";
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe("tool_calls");
    expect(call?.type === "function" && call.function.name).toBe("find_train");
    expect(name).toBe("find_train");
    expect(JSON.parse(args)).toEqual({ from: "mock", seats: 1 });
  });

  it("serves embeddings", async () => {
    const result = await client.embeddings.create({
      model: "mock-1",
      input: ["a", "b"],
      encoding_format: "float",
    });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]?.embedding.length).toBeGreaterThan(0);
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it("lists models", async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(["mock-1", "chat-only"]));
  });

  it("serves legacy completions natively when the model has them", async () => {
    const completion = await client.completions.create({ model: "mock-1", prompt: "Say hello" });
    expect(completion.object).toBe("text_completion");
    expect(stack.upstream.requests.at(-1)?.path).toBe("/v1/completions");
  });

  it("serves legacy completions through chat for chat-only models, streaming and not", async () => {
    const completion = await client.completions.create({ model: "chat-only", prompt: "Say hello" });
    expect(completion.object).toBe("text_completion");
    const upstreamRequest = stack.upstream.requests.at(-1);
    expect(upstreamRequest?.path).toBe("/v1/chat/completions");
    expect((upstreamRequest?.body as { messages: unknown } | undefined)?.messages).toEqual([
      { role: "user", content: "Say hello" },
    ]);
    const text = completion.choices[0]?.text ?? "";
    expect(text.length).toBeGreaterThan(0);

    const stream = await client.completions.create({ model: "chat-only", prompt: "Say hello", stream: true });
    let streamed = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("text_completion");
      streamed += chunk.choices[0]?.text ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(streamed).toBe(text);
    expect(finish).toBe("stop");
  });

  it("raises the gateway's errors as the SDK's own error classes", async () => {
    await expect(
      client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toMatchObject({ status: 404, code: "model_not_found" });
    await expect(client.chat.completions.create({ model: "mock-1", messages: [] })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
  });
});
