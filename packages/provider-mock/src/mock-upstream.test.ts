import { Agent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { countChatPromptTokens, countTokens } from "./mock-model.js";
import { createMockUpstream, type MockUpstream } from "./mock-upstream.js";
import type { MockUpstreamOptions } from "./mock-upstream-options.js";

interface ToolCallDelta {
  index: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

interface ChatChunk {
  id: string;
  object: string;
  created: number;
  model: string;
  system_fingerprint: string;
  choices: {
    index: number;
    delta: { role?: string; content?: string | null; refusal?: null; tool_calls?: ToolCallDelta[] };
    logprobs: null;
    finish_reason: string | null;
  }[];
  usage?: Usage | null;
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

interface ChatCompletion {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: {
    index: number;
    message: {
      role: string;
      content: string | null;
      refusal: null;
      tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
    };
    logprobs: null;
    finish_reason: string;
  }[];
  usage: Usage & {
    prompt_tokens_details: { cached_tokens: number };
    completion_tokens_details: { reasoning_tokens: number };
  };
  system_fingerprint: string;
}

interface TextCompletion {
  id: string;
  object: string;
  model: string;
  choices: { text: string; index: number; logprobs: null; finish_reason: string | null }[];
  usage?: Usage | null;
}

interface ErrorResponse {
  error: { message: string; type: string; param: string | null; code: string | null };
}

interface EmbeddingList {
  object: string;
  data: { object: string; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

const upstreams: MockUpstream[] = [];

async function start(options?: MockUpstreamOptions): Promise<MockUpstream> {
  const upstream = await createMockUpstream(options);
  upstreams.push(upstream);
  return upstream;
}

afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((upstream) => upstream.close()));
});

function post(
  upstream: MockUpstream,
  path: string,
  body: unknown,
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${upstream.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
}

async function postJson<Body>(upstream: MockUpstream, path: string, body: unknown): Promise<Body> {
  const response = await post(upstream, path, body);
  expect(response.status).toBe(200);
  return (await response.json()) as Body;
}

/** Splits an event stream into the data of its events, checking each is a `data:` event. */
function parseEventData(text: string): string[] {
  expect(text.endsWith("\n\n")).toBe(true);
  return text
    .split("\n\n")
    .slice(0, -1)
    .map((event) => {
      expect(event.startsWith("data: ")).toBe(true);
      return event.slice("data: ".length);
    });
}

/** Reads a complete OpenAI stream: JSON chunks, then `[DONE]`. */
async function readStream<Chunk>(response: Response): Promise<Chunk[]> {
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  const data = parseEventData(await response.text());
  expect(data.at(-1)).toBe("[DONE]");
  return data.slice(0, -1).map((item) => JSON.parse(item) as Chunk);
}

interface RawResponse {
  status: number | undefined;
  headers: IncomingHttpHeaders;
  body: string;
  complete: boolean;
  error: NodeJS.ErrnoException | undefined;
}

/** A request over node:http that keeps whatever arrived before the connection broke. */
function rawPost(upstream: MockUpstream, path: string, body: unknown): Promise<RawResponse> {
  return new Promise((resolve) => {
    const request = httpRequest(`${upstream.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      agent: false,
    });
    request.on("response", (response) => {
      let text = "";
      let error: NodeJS.ErrnoException | undefined;
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("error", (responseError) => {
        error = responseError;
      });
      response.on("close", () => {
        resolve({
          status: response.statusCode,
          headers: response.headers,
          body: text,
          complete: response.complete,
          error,
        });
      });
    });
    request.on("error", (error) => {
      resolve({ status: undefined, headers: {}, body: "", complete: false, error });
    });
    request.end(JSON.stringify(body));
  });
}

function onceEvent(upstream: MockUpstream, event: "abort" | "request"): Promise<unknown> {
  return new Promise((resolve) => {
    upstream.on(event, resolve);
  });
}

const messages = [
  { role: "system", content: "You are terse." },
  { role: "user", content: "Hello, world!" },
];
const chatRequest = { model: "mock-1", messages };

const weatherTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city.",
    parameters: {
      type: "object",
      properties: {
        city: { type: "string" },
        days: { type: "integer" },
        metric: { type: "boolean" },
        unit: { type: "string", enum: ["celsius", "fahrenheit"] },
        where: { type: "object" },
        note: { type: "string" },
      },
      required: ["city", "days", "metric", "unit", "where"],
    },
  },
};
const timeTool = {
  type: "function",
  function: {
    name: "get_time",
    parameters: { type: "object", properties: { zone: { type: "string" } }, required: ["zone"] },
  },
};
const weatherArguments = { city: "mock", days: 1, metric: true, unit: "celsius", where: null };

describe("chat completions", () => {
  it("answers in OpenAI's shape with the documented usage", async () => {
    const upstream = await start();
    const completion = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", chatRequest);
    expect(completion).toMatchObject({
      id: "chatcmpl-mock-1",
      object: "chat.completion",
      model: "mock-1",
      system_fingerprint: "fp_mock",
    });
    expect(Number.isInteger(completion.created)).toBe(true);
    expect(completion.choices).toHaveLength(1);
    const [choice] = completion.choices;
    expect(choice).toMatchObject({ index: 0, logprobs: null, finish_reason: "stop" });
    expect(choice?.message.role).toBe("assistant");
    expect(choice?.message.refusal).toBeNull();
    const content = choice?.message.content ?? "";
    expect(countTokens(content)).toBe(16);
    // "You are terse." is 4 tokens and "Hello, world!" is 4.
    expect(countChatPromptTokens(messages)).toBe(8);
    expect(completion.usage).toEqual({
      prompt_tokens: 8,
      completion_tokens: 16,
      total_tokens: 24,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it("gives the same text for the same request and another for another prompt", async () => {
    const upstream = await start();
    const first = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", chatRequest);
    const second = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", chatRequest);
    const other = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", {
      model: "mock-1",
      messages: [{ role: "user", content: "Something else entirely" }],
    });
    expect(second.choices[0]?.message.content).toBe(first.choices[0]?.message.content);
    expect(other.choices[0]?.message.content).not.toBe(first.choices[0]?.message.content);
    expect(second.id).not.toBe(first.id);
  });

  it("honours replyTokens", async () => {
    const upstream = await start({ replyTokens: 3 });
    const completion = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", chatRequest);
    expect(countTokens(completion.choices[0]?.message.content ?? "")).toBe(3);
    expect(completion.usage.completion_tokens).toBe(3);
  });

  it("returns n distinct choices, the first one matching n: 1", async () => {
    const upstream = await start();
    const single = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", chatRequest);
    const triple = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", { ...chatRequest, n: 3 });
    expect(triple.choices.map((choice) => choice.index)).toEqual([0, 1, 2]);
    expect(triple.choices[0]?.message.content).toBe(single.choices[0]?.message.content);
    expect(new Set(triple.choices.map((choice) => choice.message.content)).size).toBe(3);
    expect(triple.usage.completion_tokens).toBe(48);
  });

  it("truncates at max_tokens with finish reason length", async () => {
    const upstream = await start();
    const full = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", chatRequest);
    const words = (full.choices[0]?.message.content ?? "").split(" ");
    for (const limit of [{ max_tokens: 5 }, { max_completion_tokens: 5 }]) {
      const cut = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", {
        ...chatRequest,
        ...limit,
      });
      expect(cut.choices[0]?.message.content).toBe(words.slice(0, 5).join(" "));
      expect(cut.choices[0]?.finish_reason).toBe("length");
      expect(cut.usage.completion_tokens).toBe(5);
    }
  });

  it("stops before a stop sequence, given as a string or an array", async () => {
    const upstream = await start();
    const full = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", chatRequest);
    const text = full.choices[0]?.message.content ?? "";
    const stopWord = text.split(" ")[4] ?? "";
    const expected = text.slice(0, text.indexOf(stopWord));
    expect(expected.length).toBeLessThan(text.length);
    for (const stop of [stopWord, ["no-such-sequence", stopWord]]) {
      const stopped = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", {
        ...chatRequest,
        stop,
      });
      expect(stopped.choices[0]?.message.content).toBe(expected);
      expect(stopped.choices[0]?.finish_reason).toBe("stop");
      expect(stopped.usage.completion_tokens).toBe(countTokens(expected));
    }
  });

  it("uses the reply option, with limits still applied", async () => {
    const seen: string[] = [];
    const upstream = await start({
      reply: (request) => {
        seen.push(`${request.endpoint}:${request.model}:${request.prompt}:${request.choiceIndex}`);
        return "Hello, world! How are you?";
      },
    });
    const completion = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", chatRequest);
    expect(completion.choices[0]?.message.content).toBe("Hello, world! How are you?");
    expect(completion.usage.completion_tokens).toBe(8);
    const cut = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", {
      ...chatRequest,
      max_tokens: 3,
    });
    expect(cut.choices[0]?.message.content).toBe("Hello, world");
    expect(cut.choices[0]?.finish_reason).toBe("length");
    expect(seen).toEqual([
      "chat.completions:mock-1:Hello, world!:0",
      "chat.completions:mock-1:Hello, world!:0",
    ]);
  });
});

describe("chat completion streams", () => {
  it("streams role, content, finish and [DONE] without usage unless asked", async () => {
    const upstream = await start();
    const expected = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", chatRequest);
    const chunks = await readStream<ChatChunk>(
      await post(upstream, "/v1/chat/completions", { ...chatRequest, stream: true }),
    );
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({
        object: "chat.completion.chunk",
        model: "mock-1",
        system_fingerprint: "fp_mock",
      });
      expect(chunk).not.toHaveProperty("usage");
      expect(chunk.choices).toHaveLength(1);
    }
    expect(chunks[0]?.choices[0]).toEqual({
      index: 0,
      delta: { role: "assistant", content: "", refusal: null },
      logprobs: null,
      finish_reason: null,
    });
    const contentChunks = chunks.slice(1, -1);
    expect(contentChunks).toHaveLength(16);
    for (const chunk of contentChunks) {
      expect(Object.keys(chunk.choices[0]?.delta ?? {})).toEqual(["content"]);
      expect(chunk.choices[0]?.finish_reason).toBeNull();
    }
    const text = contentChunks.map((chunk) => chunk.choices[0]?.delta.content).join("");
    expect(text).toBe(expected.choices[0]?.message.content);
    expect(chunks.at(-1)?.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: "stop" });
  });

  it("adds a usage chunk, and usage: null everywhere else, when include_usage is set", async () => {
    const upstream = await start();
    const chunks = await readStream<ChatChunk>(
      await post(upstream, "/v1/chat/completions", {
        ...chatRequest,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual({
      prompt_tokens: 8,
      completion_tokens: 16,
      total_tokens: 24,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.usage).toBeNull();
      expect(chunk.choices).toHaveLength(1);
    }
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
  });

  it("groups chunkTokens tokens per chunk and reports length on max_tokens", async () => {
    const upstream = await start({ chunkTokens: 4 });
    const chunks = await readStream<ChatChunk>(
      await post(upstream, "/v1/chat/completions", { ...chatRequest, stream: true, max_tokens: 10 }),
    );
    const contents = chunks.slice(1, -1).map((chunk) => chunk.choices[0]?.delta.content ?? "");
    expect(contents.map(countTokens)).toEqual([4, 4, 2]);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("length");
  });

  it("streams n choices by index, each with its own role and finish chunk", async () => {
    const upstream = await start();
    const expected = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", {
      ...chatRequest,
      n: 2,
    });
    const chunks = await readStream<ChatChunk>(
      await post(upstream, "/v1/chat/completions", { ...chatRequest, n: 2, stream: true }),
    );
    for (const index of [0, 1]) {
      const own = chunks.filter((chunk) => chunk.choices[0]?.index === index);
      expect(own[0]?.choices[0]?.delta.role).toBe("assistant");
      expect(own.at(-1)?.choices[0]?.finish_reason).toBe("stop");
      const text = own.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
      expect(text).toBe(expected.choices[index]?.message.content);
    }
  });

  it("paces with tokensPerSecond and still sends the whole reply", async () => {
    const upstream = await start({ tokensPerSecond: 2000, firstByteDelayMs: 5, latencyMs: 5 });
    const expected = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", chatRequest);
    const chunks = await readStream<ChatChunk>(
      await post(upstream, "/v1/chat/completions", { ...chatRequest, stream: true }),
    );
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe(expected.choices[0]?.message.content);
  });

  it("sends headers before the first byte delay", async () => {
    const upstream = await start({ firstByteDelayMs: 3_600_000 });
    const aborted = onceEvent(upstream, "abort");
    const controller = new AbortController();
    const response = await post(
      upstream,
      "/v1/chat/completions",
      { ...chatRequest, stream: true },
      {
        signal: controller.signal,
      },
    );
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    controller.abort();
    await aborted;
    expect(upstream.stats).toMatchObject({ aborted: 1, inFlight: 0 });
  });

  it("keeps large streams intact under backpressure", async () => {
    const upstream = await start({ replyTokens: 20_000 });
    const response = await post(upstream, "/v1/chat/completions", { ...chatRequest, stream: true });
    const chunks = await readStream<ChatChunk>(response);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
    expect(countTokens(text)).toBe(20_000);
    expect(chunks).toHaveLength(20_002);
  });
});

describe("tool calls", () => {
  it("calls the first function tool with arguments built from its schema", async () => {
    const upstream = await start();
    const completion = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", {
      ...chatRequest,
      tools: [weatherTool, timeTool],
    });
    const [choice] = completion.choices;
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls).toHaveLength(1);
    const toolCall = choice?.message.tool_calls?.[0];
    expect(toolCall).toMatchObject({
      id: "call_mock_1",
      type: "function",
      function: { name: "get_weather" },
    });
    expect(JSON.parse(toolCall?.function.arguments ?? "")).toEqual(weatherArguments);
    expect(completion.usage.completion_tokens).toBe(countTokens(toolCall?.function.arguments ?? ""));
  });

  it("calls the tool named by tool_choice, and none with tool_choice none", async () => {
    const upstream = await start();
    const named = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", {
      ...chatRequest,
      tools: [weatherTool, timeTool],
      tool_choice: { type: "function", function: { name: "get_time" } },
    });
    const toolCall = named.choices[0]?.message.tool_calls?.[0];
    expect(toolCall?.function.name).toBe("get_time");
    expect(JSON.parse(toolCall?.function.arguments ?? "")).toEqual({ zone: "mock" });
    const none = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", {
      ...chatRequest,
      tools: [weatherTool],
      tool_choice: "none",
    });
    expect(none.choices[0]?.finish_reason).toBe("stop");
    expect(none.choices[0]?.message.tool_calls).toBeUndefined();
    expect(typeof none.choices[0]?.message.content).toBe("string");
  });

  it("answers in text after a tool result", async () => {
    const upstream = await start();
    const completion = await postJson<ChatCompletion>(upstream, "/v1/chat/completions", {
      model: "mock-1",
      tools: [weatherTool],
      messages: [
        { role: "user", content: "Weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "get_weather", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "Sunny." },
      ],
    });
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(countTokens(completion.choices[0]?.message.content ?? "")).toBe(16);
  });

  it("streams a tool call the way OpenAI does", async () => {
    const upstream = await start();
    const chunks = await readStream<ChatChunk>(
      await post(upstream, "/v1/chat/completions", { ...chatRequest, tools: [weatherTool], stream: true }),
    );
    expect(chunks[0]?.choices[0]?.delta).toEqual({
      role: "assistant",
      content: null,
      tool_calls: [
        { index: 0, id: "call_mock_1", type: "function", function: { name: "get_weather", arguments: "" } },
      ],
      refusal: null,
    });
    const fragments = chunks.slice(1, -1).map((chunk) => {
      const calls = chunk.choices[0]?.delta.tool_calls ?? [];
      expect(calls).toHaveLength(1);
      expect(Object.keys(calls[0] ?? {})).toEqual(["index", "function"]);
      expect(calls[0]?.index).toBe(0);
      expect(Object.keys(calls[0]?.function ?? {})).toEqual(["arguments"]);
      return calls[0]?.function?.arguments ?? "";
    });
    expect(fragments.length).toBeGreaterThan(2);
    expect(JSON.parse(fragments.join(""))).toEqual(weatherArguments);
    expect(chunks.at(-1)?.choices[0]).toEqual({
      index: 0,
      delta: {},
      logprobs: null,
      finish_reason: "tool_calls",
    });
  });

  it("rejects a tool_choice naming an unknown function", async () => {
    const upstream = await start();
    const response = await post(upstream, "/v1/chat/completions", {
      ...chatRequest,
      tools: [weatherTool],
      tool_choice: { type: "function", function: { name: "nope" } },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorResponse).error.param).toBe("tool_choice");
  });
});

describe("legacy completions", () => {
  it("answers with text_completion choices and usage", async () => {
    const upstream = await start();
    const completion = await postJson<TextCompletion>(upstream, "/v1/completions", {
      model: "mock-1",
      prompt: "Once upon a time",
      max_tokens: 7,
    });
    expect(completion).toMatchObject({ id: "cmpl-mock-1", object: "text_completion", model: "mock-1" });
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]).toMatchObject({ index: 0, logprobs: null, finish_reason: "length" });
    expect(countTokens(completion.choices[0]?.text ?? "")).toBe(7);
    expect(completion.usage).toEqual({ prompt_tokens: 4, completion_tokens: 7, total_tokens: 11 });
  });

  it("answers each prompt of an array, n choices each", async () => {
    const upstream = await start({ replyTokens: 2 });
    const completion = await postJson<TextCompletion>(upstream, "/v1/completions", {
      model: "mock-1",
      prompt: ["first prompt", "second"],
      n: 2,
    });
    expect(completion.choices.map((choice) => choice.index)).toEqual([0, 1, 2, 3]);
    expect(completion.usage).toEqual({ prompt_tokens: 3, completion_tokens: 8, total_tokens: 11 });
  });

  it("streams the same text, then a finish chunk, usage and [DONE]", async () => {
    const upstream = await start();
    const request = { model: "mock-1", prompt: "Once upon a time" };
    const expected = await postJson<TextCompletion>(upstream, "/v1/completions", request);
    const chunks = await readStream<TextCompletion>(
      await post(upstream, "/v1/completions", {
        ...request,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    for (const chunk of chunks) expect(chunk.object).toBe("text_completion");
    const usageChunk = chunks.at(-1);
    expect(usageChunk?.choices).toEqual([]);
    expect(usageChunk?.usage).toEqual({ prompt_tokens: 4, completion_tokens: 16, total_tokens: 20 });
    expect(chunks.at(-2)?.choices[0]).toEqual({ text: "", index: 0, logprobs: null, finish_reason: "stop" });
    const text = chunks.map((chunk) => chunk.choices[0]?.text ?? "").join("");
    expect(text).toBe(expected.choices[0]?.text);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage).toBeNull();
  });
});

describe("embeddings", () => {
  const norm = (vector: readonly number[]) => Math.hypot(...vector);

  it("returns deterministic unit vectors of 8 dimensions by default", async () => {
    const upstream = await start();
    const list = await postJson<EmbeddingList>(upstream, "/v1/embeddings", {
      model: "mock-embed",
      input: ["railway signals", "railway signals", "something else"],
    });
    expect(list).toMatchObject({
      object: "list",
      model: "mock-embed",
      usage: { prompt_tokens: 6, total_tokens: 6 },
    });
    expect(list.data.map((item) => [item.object, item.index])).toEqual([
      ["embedding", 0],
      ["embedding", 1],
      ["embedding", 2],
    ]);
    const vectors = list.data.map((item) => item.embedding as number[]);
    for (const vector of vectors) {
      expect(vector).toHaveLength(8);
      expect(norm(vector)).toBeCloseTo(1, 5);
    }
    expect(vectors[1]).toEqual(vectors[0]);
    expect(vectors[2]).not.toEqual(vectors[0]);
  });

  it("honours dimensions and accepts token ids", async () => {
    const upstream = await start();
    const list = await postJson<EmbeddingList>(upstream, "/v1/embeddings", {
      model: "mock-embed",
      input: [
        [1, 2, 3],
        [4, 5],
      ],
      dimensions: 3,
    });
    expect(list.data).toHaveLength(2);
    for (const item of list.data) {
      expect(item.embedding).toHaveLength(3);
      expect(norm(item.embedding as number[])).toBeCloseTo(1, 5);
    }
    expect(list.usage.prompt_tokens).toBe(5);
  });

  it("encodes base64 as little-endian float32, equal to the float encoding", async () => {
    const upstream = await start();
    const request = { model: "mock-embed", input: "railway signals", dimensions: 16 };
    const floats = await postJson<EmbeddingList>(upstream, "/v1/embeddings", request);
    const encoded = await postJson<EmbeddingList>(upstream, "/v1/embeddings", {
      ...request,
      encoding_format: "base64",
    });
    const bytes = Buffer.from(encoded.data[0]?.embedding as string, "base64");
    expect(bytes).toHaveLength(64);
    const decoded = Array.from({ length: 16 }, (_, index) => bytes.readFloatLE(index * 4));
    expect(decoded).toEqual(floats.data[0]?.embedding);
  });

  it("rejects a missing input and a bad encoding format", async () => {
    const upstream = await start();
    const missing = await post(upstream, "/v1/embeddings", { model: "mock-embed" });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as ErrorResponse).error).toMatchObject({
      type: "invalid_request_error",
      param: "input",
      code: "missing_required_parameter",
    });
    const badFormat = await post(upstream, "/v1/embeddings", {
      model: "m",
      input: "x",
      encoding_format: "hex",
    });
    expect(badFormat.status).toBe(400);
  });
});

describe("models", () => {
  it("lists the default models", async () => {
    const upstream = await start();
    const response = await fetch(`${upstream.url}/v1/models`);
    expect(response.status).toBe(200);
    const list = (await response.json()) as {
      object: string;
      data: { id: string; object: string; owned_by: string }[];
    };
    expect(list.object).toBe("list");
    expect(list.data.map((model) => model.id)).toEqual(["mock-1", "mock-1-mini"]);
    for (const model of list.data)
      expect(model).toMatchObject({ object: "model", owned_by: "switchyard-mock" });
  });

  it("lists configured models and retrieves one by id", async () => {
    const upstream = await start({ models: ["alpha", "beta"] });
    const list = (await (await fetch(`${upstream.url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(list.data.map((model) => model.id)).toEqual(["alpha", "beta"]);
    const found = await fetch(`${upstream.url}/v1/models/beta`);
    expect(await found.json()).toMatchObject({ id: "beta", object: "model" });
    const missing = await fetch(`${upstream.url}/v1/models/gamma`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as ErrorResponse).error.code).toBe("model_not_found");
  });
});

describe("errors", () => {
  it("answers an unknown route with 404 and OpenAI's error body", async () => {
    const upstream = await start();
    for (const response of [
      await fetch(`${upstream.url}/v1/nope`),
      await fetch(`${upstream.url}/v1/chat/completions`),
    ]) {
      expect(response.status).toBe(404);
      const body = (await response.json()) as ErrorResponse;
      expect(body.error).toMatchObject({ type: "invalid_request_error", param: null, code: null });
      expect(body.error.message).toContain("Invalid URL");
    }
  });

  it("answers malformed JSON with 400", async () => {
    const upstream = await start();
    const response = await post(upstream, "/v1/chat/completions", "{not json");
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorResponse).error.type).toBe("invalid_request_error");
  });

  it("answers a missing model or messages with 400 naming the parameter", async () => {
    const upstream = await start();
    for (const [body, param] of [
      [{ messages }, "model"],
      [{ model: "mock-1" }, "messages"],
      [{ model: "mock-1", messages: [] }, "messages"],
      [{ model: "mock-1", messages, n: 0 }, "n"],
      [{ model: "mock-1", messages, stream: "yes" }, "stream"],
    ] as const) {
      const response = await post(upstream, "/v1/chat/completions", body);
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as ErrorResponse;
      expect(error.type).toBe("invalid_request_error");
      expect(error.param).toBe(param);
      expect(typeof error.message).toBe("string");
    }
  });

  it("requires the API key when one is set", async () => {
    const upstream = await start({ apiKey: "sk-mock" });
    for (const authorization of [undefined, "Bearer sk-nope", "Bearer sk-mock-but-longer"]) {
      const response = await post(upstream, "/v1/chat/completions", chatRequest, {
        headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as ErrorResponse).error.code).toBe("invalid_api_key");
    }
    const allowed = await post(upstream, "/v1/chat/completions", chatRequest, {
      headers: { "content-type": "application/json", authorization: "Bearer sk-mock" },
    });
    expect(allowed.status).toBe(200);
    const models = await fetch(`${upstream.url}/v1/models`);
    expect(models.status).toBe(401);
  });

  it("rejects invalid options", async () => {
    await expect(createMockUpstream({ chunkTokens: 0 })).rejects.toThrow(RangeError);
    await expect(createMockUpstream({ latencyMs: -1 })).rejects.toThrow(RangeError);
    await expect(createMockUpstream({ faults: { rate: 2, kinds: [] } })).rejects.toThrow(RangeError);
  });
});

describe("faults", () => {
  it("answers a status fault with its headers and OpenAI's error body", async () => {
    const upstream = await start();
    upstream.enqueueFault({ kind: "status", status: 429, retryAfter: 2, retryAfterMs: 1500 });
    const response = await post(upstream, "/v1/chat/completions", chatRequest);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("2");
    expect(response.headers.get("retry-after-ms")).toBe("1500");
    expect(((await response.json()) as ErrorResponse).error).toMatchObject({
      type: "requests",
      code: "rate_limit_exceeded",
    });
  });

  it("uses queued faults in order, one request each, and a custom body", async () => {
    const upstream = await start();
    upstream.enqueueFault({ kind: "status", status: 503 });
    upstream.enqueueFault({ kind: "status", status: 502, body: "<html>Bad gateway</html>" });
    // The model listing neither consumes nor suffers faults.
    expect((await fetch(`${upstream.url}/v1/models`)).status).toBe(200);
    const overloaded = await post(upstream, "/v1/embeddings", { model: "m", input: "x" });
    expect(overloaded.status).toBe(503);
    expect(((await overloaded.json()) as ErrorResponse).error.code).toBe("overloaded");
    const badGateway = await post(upstream, "/v1/completions", { model: "m", prompt: "x" });
    expect(badGateway.status).toBe(502);
    expect(badGateway.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await badGateway.text()).toBe("<html>Bad gateway</html>");
    expect((await post(upstream, "/v1/chat/completions", chatRequest)).status).toBe(200);
  });

  it("applies a standing fault rate", async () => {
    const upstream = await start({ faults: { rate: 1, kinds: [{ kind: "status", status: 500 }] } });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const response = await post(upstream, "/v1/chat/completions", chatRequest);
      expect(response.status).toBe(500);
      expect(((await response.json()) as ErrorResponse).error.type).toBe("server_error");
    }
  });

  it("cuts a stream after N chunks without [DONE]", async () => {
    const upstream = await start();
    upstream.enqueueFault({ kind: "cut-stream", afterChunks: 3 });
    const response = await rawPost(upstream, "/v1/chat/completions", { ...chatRequest, stream: true });
    expect(response.status).toBe(200);
    expect(response.complete).toBe(false);
    const data = parseEventData(response.body);
    expect(data).toHaveLength(3);
    expect(data).not.toContain("[DONE]");
    for (const item of data) expect(JSON.parse(item)).toMatchObject({ object: "chat.completion.chunk" });
    expect(upstream.stats).toMatchObject({ received: 1, inFlight: 0, completed: 1, aborted: 0 });
  });

  it("can cut a stream right after its headers", async () => {
    const upstream = await start();
    upstream.enqueueFault({ kind: "cut-stream", afterChunks: 0 });
    const response = await rawPost(upstream, "/v1/chat/completions", { ...chatRequest, stream: true });
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(response.body).toBe("");
    expect(response.complete).toBe(false);
  });

  it("cuts a JSON response part-way through its body", async () => {
    const upstream = await start();
    upstream.enqueueFault({ kind: "cut-stream", afterChunks: 0 });
    const response = await rawPost(upstream, "/v1/chat/completions", chatRequest);
    expect(response.status).toBe(200);
    expect(response.complete).toBe(false);
    expect(Number(response.headers["content-length"])).toBeGreaterThan(response.body.length);
  });

  it("sends a malformed event in a stream, which still ends with [DONE]", async () => {
    const upstream = await start();
    upstream.enqueueFault({ kind: "malformed-sse" });
    const response = await post(upstream, "/v1/chat/completions", { ...chatRequest, stream: true });
    const data = parseEventData(await response.text());
    expect(data.at(-1)).toBe("[DONE]");
    const unparsable = data.filter((item) => {
      try {
        JSON.parse(item);
        return false;
      } catch {
        return item !== "[DONE]";
      }
    });
    expect(unparsable).toHaveLength(1);
    expect(data.indexOf(unparsable[0] ?? "")).toBe(1);
  });

  it("sends a truncated JSON body for malformed-sse on a JSON response", async () => {
    const upstream = await start();
    upstream.enqueueFault({ kind: "malformed-sse" });
    const response = await post(upstream, "/v1/chat/completions", chatRequest);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });

  it("resets the connection without a response", async () => {
    const upstream = await start();
    upstream.enqueueFault({ kind: "reset" });
    const response = await rawPost(upstream, "/v1/chat/completions", chatRequest);
    expect(response.status).toBeUndefined();
    expect(response.error?.code).toMatch(/ECONNRESET|EPIPE/);
    expect(upstream.stats).toMatchObject({ received: 1, completed: 1, aborted: 0 });
  });

  it("hangs until the client gives up", async () => {
    const upstream = await start();
    upstream.enqueueFault({ kind: "hang" });
    const received = onceEvent(upstream, "request");
    const aborted = onceEvent(upstream, "abort");
    const controller = new AbortController();
    const pending = post(upstream, "/v1/chat/completions", chatRequest, { signal: controller.signal });
    await received;
    expect(upstream.stats.inFlight).toBe(1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect(await aborted).toMatchObject({ id: 1, method: "POST", path: "/v1/chat/completions" });
    expect(upstream.stats).toMatchObject({ received: 1, inFlight: 0, completed: 0, aborted: 1 });
  });

  it("holds back the first byte of a slow-first-byte response while others are served", async () => {
    const upstream = await start();
    upstream.enqueueFault({ kind: "slow-first-byte", delayMs: 3_600_000 });
    const controller = new AbortController();
    let slowAnswered = false;
    const slow = post(upstream, "/v1/chat/completions", chatRequest, { signal: controller.signal }).then(
      () => {
        slowAnswered = true;
      },
      () => undefined,
    );
    await onceEvent(upstream, "request");
    expect((await post(upstream, "/v1/chat/completions", chatRequest)).status).toBe(200);
    expect(slowAnswered).toBe(false);
    const aborted = onceEvent(upstream, "abort");
    controller.abort();
    await slow;
    await aborted;
    expect(slowAnswered).toBe(false);
    expect(upstream.stats).toMatchObject({ completed: 1, aborted: 1, inFlight: 0 });
  });
});

describe("lifecycle", () => {
  it("counts a client abort of a slow stream", async () => {
    const upstream = await start({ tokensPerSecond: 1, replyTokens: 1000 });
    const aborted = onceEvent(upstream, "abort");
    const controller = new AbortController();
    const response = await post(
      upstream,
      "/v1/chat/completions",
      { ...chatRequest, stream: true },
      {
        signal: controller.signal,
      },
    );
    const reader = response.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toContain('"role":"assistant"');
    controller.abort();
    await aborted;
    expect(upstream.stats).toMatchObject({ received: 1, inFlight: 0, completed: 0, aborted: 1 });
  });

  it("records requests, up to the last 1000", async () => {
    const upstream = await start();
    const emitted: number[] = [];
    upstream.on("request", (request) => emitted.push(request.id));
    await post(upstream, "/v1/chat/completions?trace=1", chatRequest, {
      headers: { "content-type": "application/json", "x-test": "yes" },
    });
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]).toMatchObject({
      id: 1,
      method: "POST",
      path: "/v1/chat/completions?trace=1",
      body: chatRequest,
    });
    expect(upstream.requests[0]?.headers["x-test"]).toBe("yes");
    for (let batch = 0; batch < 21; batch += 1) {
      await Promise.all(
        Array.from({ length: 50 }, () => fetch(`${upstream.url}/v1/models`).then((r) => r.text())),
      );
    }
    expect(upstream.stats.received).toBe(1051);
    expect(upstream.requests).toHaveLength(1000);
    expect(upstream.requests[0]?.id).toBe(52);
    expect(emitted).toHaveLength(1051);
  });

  it("records nothing when record is false, but still emits request events", async () => {
    const upstream = await start({ record: false });
    const received = onceEvent(upstream, "request");
    await post(upstream, "/v1/chat/completions", "{broken");
    expect(await received).toMatchObject({ body: "{broken" });
    expect(upstream.requests).toEqual([]);
  });

  it("reuses keep-alive connections and closes with idle ones open", async () => {
    const upstream = await start();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<boolean>((resolve, reject) => {
        const request = httpRequest(`${upstream.url}/v1/models`, { agent }, (response) => {
          response.resume();
          response.on("end", () => resolve(request.reusedSocket));
        });
        request.on("error", reject);
        request.end();
      });
    expect(await get()).toBe(false);
    expect(await get()).toBe(true);
    await upstream.close();
    await upstream.close();
    agent.destroy();
    expect(upstream.stats).toMatchObject({ received: 2, completed: 2, inFlight: 0 });
  });

  it("serves an IPv4 URL with the listening port", async () => {
    const upstream = await start();
    expect(upstream.url).toBe(`http://127.0.0.1:${upstream.port}`);
    expect(upstream.port).toBeGreaterThan(0);
  });
});
