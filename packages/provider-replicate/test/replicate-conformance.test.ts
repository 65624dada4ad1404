import { createGateway, silentLogger } from "@switchyard/core";
import { listen, type NodeGatewayServer } from "@switchyard/http/node";
import {
  createScriptedUpstream,
  type ScriptedUpstream,
  type WireAnswer,
  type WireRequest,
} from "@switchyard/testing";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createReplicateProvider } from "../src/replicate-provider.js";
import { json, type ReplicateHandlers, replicateRouter, routeOf, stream } from "./replicate-upstream.js";

// The provider conformance kit's cases, run against Replicate's multi-request flow. The kit itself
// (`describeProviderConformance`) cannot be used as is: its two tool-call cases expect a tool call back,
// and Replicate models have no tool API, so this provider refuses tools with a 400. Every other case of
// the kit is repeated here with the kit's own assertions; the tool cases are replaced by refusal checks.

const MODEL = "meta/meta-llama-3-8b-instruct";
const TOKEN = "r8_conformance";

interface Reply {
  readonly text: string;
  readonly usage: { readonly promptTokens: number; readonly completionTokens: number };
}
const textReply: Reply = {
  text: "The night train goes north, past the lakes — and arrives at dawn. ✓",
  usage: { promptTokens: 21, completionTokens: 17 },
};
const lengthReply: Reply = { text: "Cut short", usage: { promptTokens: 5, completionTokens: 2 } };

// The inputs Llama 3 models on Replicate declare in their schema; Replicate refuses values it cannot coerce.
const llama3Inputs = new Set([
  "prompt",
  "system_prompt",
  "max_tokens",
  "min_tokens",
  "max_new_tokens",
  "temperature",
  "top_p",
  "top_k",
  "presence_penalty",
  "frequency_penalty",
  "length_penalty",
  "stop_sequences",
  "prompt_template",
  "seed",
  "log_performance_metrics",
]);

/** Checks a request the way Replicate's API would; throws to fail. */
function checkRequest(wire: WireRequest): void {
  expect(wire.headers.authorization).toBe(`Bearer ${TOKEN}`);
  const route = routeOf(wire);
  expect(route, `${wire.method} ${wire.url}`).not.toBe("other");
  if (route !== "create") return;
  expect(wire.url).toBe(`/v1/models/${MODEL}/predictions`);
  expect(wire.headers["content-type"]).toBe("application/json");
  const body = wire.body as { input?: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(["input"]);
  expect(typeof body.input?.prompt).toBe("string");
  const unknown = Object.keys(body.input ?? {}).filter((name) => !llama3Inputs.has(name));
  expect(unknown, "inputs the model does not declare").toEqual([]);
}

function pieces(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [];
}

function predictionOf(reply: Reply, wire: WireRequest, id: string, status: string, origin: string) {
  const input = (wire.body as { input?: Record<string, unknown> } | undefined)?.input ?? {};
  return {
    id,
    model: MODEL,
    version: "5a6809ca6288247d06daf6365557e5e429063f32a21146b2a807c682652136b8",
    input,
    logs: "",
    output: status === "succeeded" ? pieces(reply.text) : null,
    data_removed: false,
    error: null,
    status,
    created_at: "2024-07-01T10:00:01.000Z",
    urls: {
      cancel: `${origin}/v1/predictions/${id}/cancel`,
      get: `${origin}/v1/predictions/${id}`,
      stream: `${origin}/streaming/v1/predictions/${id}`,
      web: `https://replicate.com/p/${id}`,
    },
    ...(status === "succeeded"
      ? {
          metrics: {
            input_token_count: reply.usage.promptTokens,
            output_token_count: reply.usage.completionTokens,
            predict_time: 0.4,
          },
        }
      : {}),
  };
}

describe("provider conformance (kit cases, multi-request flow): replicate", () => {
  let upstream: ScriptedUpstream;
  let server: NodeGatewayServer;
  let checkFailures: unknown[] = [];
  let lastCreate: WireRequest | undefined;

  beforeAll(async () => {
    upstream = await createScriptedUpstream();
    const gateway = createGateway({
      logger: silentLogger,
      retry: false,
      providers: [
        createReplicateProvider({ baseURL: `${upstream.url}/v1`, apiToken: TOKEN, pollIntervalMs: 5 }),
      ],
    });
    server = await listen(gateway, { port: 0, graceMs: 1_000 });
  });
  afterAll(async () => {
    await server?.close();
    await upstream?.close();
  });

  function script(handlers: ReplicateHandlers) {
    checkFailures = [];
    const route = replicateRouter(handlers);
    upstream.answer((wire): WireAnswer => {
      try {
        checkRequest(wire);
      } catch (error) {
        checkFailures.push(error);
      }
      if (routeOf(wire) === "create") lastCreate = wire;
      return route(wire);
    });
  }

  /** The whole prediction lifecycle for `reply`: created, polled or streamed, read back, cancelable. */
  function lifecycle(
    reply: Reply,
    streamOptions: { cutAfter?: number; delayMs?: number } = {},
  ): ReplicateHandlers {
    const id = "conf7h2k9x4m1p8q";
    return {
      create: (wire) =>
        json(
          201,
          predictionOf(reply, wire, id, wire.headers.prefer ? "succeeded" : "starting", upstream.url),
        ),
      get: () => json(200, predictionOf(reply, lastCreate as WireRequest, id, "succeeded", upstream.url)),
      stream: () =>
        stream(
          [
            ...pieces(reply.text).map((piece, index) => `event: output\nid: 1:${index}\ndata: ${piece}\n\n`),
            "event: done\ndata: {}\n\n",
          ],
          streamOptions,
        ),
      cancel: () =>
        json(200, { ...predictionOf(reply, lastCreate as WireRequest, id, "canceled", upstream.url) }),
    };
  }

  async function chat(body: Record<string, unknown>) {
    const response = await request(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "Where to?" }], ...body }),
    });
    const text = await response.body.text();
    expect(checkFailures, "the provider sent a request the real API would refuse").toEqual([]);
    return { status: response.statusCode, headers: response.headers, text };
  }

  function events(text: string): string[] {
    const out: string[] = [];
    for (const block of text.split("\n\n")) {
      if (block.trim() === "") continue;
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n");
      expect(data, `an event without data: ${block}`).not.toBe("");
      out.push(data);
    }
    return out;
  }

  function chunksOf(text: string) {
    const all = events(text);
    expect(all.at(-1), "a stream ends with data: [DONE]").toBe("[DONE]");
    const chunks = all.slice(0, -1).map((data) => JSON.parse(data));
    for (const chunk of chunks) {
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(typeof chunk.id).toBe("string");
      expect(Array.isArray(chunk.choices)).toBe(true);
    }
    return chunks;
  }

  const usageOf = (reply: Reply) => ({
    prompt_tokens: reply.usage.promptTokens,
    completion_tokens: reply.usage.completionTokens,
    total_tokens: reply.usage.promptTokens + reply.usage.completionTokens,
  });

  it("answers a chat request with the text, finish reason and usage", async () => {
    script(lifecycle(textReply));
    const response = await chat({});
    expect(response.status).toBe(200);
    const body = JSON.parse(response.text);
    expect(body.object).toBe("chat.completion");
    expect(body.choices[0].message).toMatchObject({ role: "assistant", content: textReply.text });
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(body.usage).toMatchObject(usageOf(textReply));
    expect(lastCreate?.headers.prefer).toBe("wait=60");
  });

  it("maps a length stop", async () => {
    script(lifecycle(lengthReply));
    const body = JSON.parse((await chat({ max_tokens: 2 })).text);
    expect(body.choices[0].finish_reason).toBe("length");
    expect((lastCreate?.body as { input?: Record<string, unknown> } | undefined)?.input?.max_tokens).toBe(2);
  });

  it("streams the same text as well-formed chunks, usage last when asked", async () => {
    script(lifecycle(textReply));
    const response = await chat({ stream: true, stream_options: { include_usage: true } });
    expect(response.status).toBe(200);
    expect(String(response.headers["content-type"])).toMatch(/^text\/event-stream/);
    const chunks = chunksOf(response.text);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? "").join("");
    expect(text).toBe(textReply.text);
    const finish = chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean);
    expect(finish).toEqual(["stop"]);
    const last = chunks.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject(usageOf(textReply));
    expect(lastCreate?.headers.prefer).toBeUndefined();
  });

  it("hides the usage chunk when the client did not ask for it", async () => {
    script(lifecycle(textReply));
    const chunks = chunksOf((await chat({ stream: true })).text);
    expect(chunks.every((chunk) => chunk.choices.length > 0)).toBe(true);
  });

  // In place of the kit's two tool-call cases: tools are refused before anything is sent upstream.
  for (const streamed of [false, true]) {
    it(`refuses tools with a 400 operation_not_supported and creates no prediction (stream: ${streamed})`, async () => {
      script(lifecycle(textReply));
      const before = upstream.requests.length;
      const tools = [{ type: "function", function: { name: "find_train", parameters: { type: "object" } } }];
      const response = await chat({ tools, stream: streamed });
      expect(response.status).toBe(400);
      expect(JSON.parse(response.text).error).toMatchObject({
        code: "operation_not_supported",
        param: "tools",
      });
      expect(upstream.requests.length).toBe(before);
    });
  }

  const errorCases = [
    { upstream: 400, status: 400, code: "upstream_invalid_request" },
    { upstream: 401, status: 502, code: "upstream_authentication_failed" },
    { upstream: 404, status: 404, code: "model_not_found" },
    { upstream: 429, status: 429, code: "upstream_rate_limited" },
    { upstream: 500, status: 502, code: "upstream_error" },
    { upstream: 503, status: 503, code: "upstream_overloaded" },
  ];
  for (const errorCase of errorCases) {
    it(`maps an upstream ${errorCase.upstream} to ${errorCase.status} ${errorCase.code}`, async () => {
      const message = `conformance error ${errorCase.upstream}`;
      script({
        create: () =>
          json(errorCase.upstream, { title: "Error", detail: message, status: errorCase.upstream }),
      });
      const response = await chat({});
      expect(response.status).toBe(errorCase.status);
      const body = JSON.parse(response.text);
      expect(body.error).toMatchObject({ code: errorCase.code, type: expect.any(String) });
      if (errorCase.upstream !== 401 && errorCase.upstream !== 403)
        expect(body.error.message).toContain(message);
    });
  }

  it("passes a 429's Retry-After on", async () => {
    script({ create: () => json(429, { detail: "slow down" }, { "retry-after": "7" }) });
    const response = await chat({});
    expect(response.status).toBe(429);
    expect(response.headers["retry-after"]).toBe("7");
  });

  it("ends a cut stream with an error event, not [DONE]", async () => {
    const handlers = lifecycle(textReply, {
      cutAfter: Math.max(1, Math.floor((pieces(textReply.text).length + 1) / 2)),
    });
    script(handlers);
    const all = events((await chat({ stream: true })).text);
    expect(all).not.toContain("[DONE]");
    expect(JSON.parse(all.at(-1) as string)).toMatchObject({ error: { code: expect.any(String) } });
  });

  it("aborts the upstream request when the client disconnects, and cancels the prediction", async () => {
    script(lifecycle(textReply, { delayMs: 50 }));
    const aborted = upstream.nextAbort();
    const controller = new AbortController();
    const response = await request(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, stream: true, messages: [{ role: "user", content: "Go" }] }),
      signal: controller.signal,
    });
    for await (const _chunk of response.body) {
      controller.abort();
      break;
    }
    await aborted;
    expect(upstream.aborts).toBeGreaterThanOrEqual(1);
    await vi.waitFor(() => expect(upstream.requests.some((wire) => routeOf(wire) === "cancel")).toBe(true));
  });
});
