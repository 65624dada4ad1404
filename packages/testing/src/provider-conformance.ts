import { createGateway, type Provider, silentLogger } from "@switchyard/core";
import { listen, type NodeGatewayServer } from "@switchyard/http/node";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createScriptedUpstream,
  type ScriptedUpstream,
  type WireRequest,
  type WireResponse,
  type WireStream,
} from "./scripted-upstream.js";

/** A canonical answer the provider's fake upstream must render in the provider's own wire format. */
export interface ConformanceReply {
  /** Assistant text ("" when the answer is only a tool call). */
  readonly text: string;
  /** The canonical finish reason the provider's own reason must map to. */
  readonly finishReason: "stop" | "length" | "tool_calls";
  /** One tool call, when the answer calls a tool. `arguments` is a JSON text. */
  readonly toolCall?: { readonly id: string; readonly name: string; readonly arguments: string };
  readonly usage: { readonly promptTokens: number; readonly completionTokens: number };
}

/** What a provider author gives the suite. */
export interface ProviderConformanceOptions {
  /** Shown in test names. */
  readonly name: string;
  /** Builds the provider under test, pointed at the fake upstream's origin (no path). */
  createProvider(upstreamOrigin: string): Provider;
  /** The model clients request (it must route to the provider). */
  readonly model: string;
  /** Renders a complete answer as the provider's API would send it. */
  renderReply(reply: ConformanceReply, request: WireRequest): WireResponse;
  /** Renders a streamed answer as the provider's API would stream it (SSE events, each ending in a blank line). */
  renderStream(reply: ConformanceReply, request: WireRequest): WireStream;
  /** Renders an error answer with the provider's error body for `status`, carrying `message`. */
  renderError(status: number, message: string, request: WireRequest): WireResponse;
  /** Checks every request the provider sent, the way the real API would (throw to fail). */
  checkRequest?(request: WireRequest): void;
  /**
   * What the provider can do. A provider without tools must refuse them with 400 `operation_not_supported`
   * before calling upstream; the tool cases check that instead. @default { tools: true }
   */
  readonly capabilities?: { readonly tools?: boolean };
  /** Statuses to check the mapping of, with the status and OpenAI code the client must get. */
  readonly errorCases?: ReadonlyArray<{ upstream: number; status: number; code: string }>;
}

const defaultErrorCases = [
  { upstream: 400, status: 400, code: "upstream_invalid_request" },
  { upstream: 401, status: 502, code: "upstream_authentication_failed" },
  { upstream: 404, status: 404, code: "model_not_found" },
  { upstream: 429, status: 429, code: "upstream_rate_limited" },
  { upstream: 500, status: 502, code: "upstream_error" },
  { upstream: 503, status: 503, code: "upstream_overloaded" },
  { upstream: 529, status: 503, code: "upstream_overloaded" },
] as const;

const textReply: ConformanceReply = {
  text: "The night train goes north, past the lakes — and arrives at dawn. ✓",
  finishReason: "stop",
  usage: { promptTokens: 21, completionTokens: 17 },
};
const lengthReply: ConformanceReply = {
  text: "Cut short",
  finishReason: "length",
  usage: { promptTokens: 5, completionTokens: 2 },
};
const toolReply: ConformanceReply = {
  text: "",
  finishReason: "tool_calls",
  toolCall: {
    id: "call_conformance_1",
    name: "find_train",
    arguments: '{"from":"Oslo","seats":2,"quiet":true}',
  },
  usage: { promptTokens: 40, completionTokens: 12 },
};
const textThenToolReply: ConformanceReply = {
  text: "Let me look that up.",
  finishReason: "tool_calls",
  toolCall: { id: "call_conformance_2", name: "find_train", arguments: '{"from":"Bergen","seats":1}' },
  usage: { promptTokens: 44, completionTokens: 20 },
};
const tools = [
  {
    type: "function",
    function: {
      name: "find_train",
      description: "Find a train",
      parameters: {
        type: "object",
        properties: { from: { type: "string" }, seats: { type: "number" }, quiet: { type: "boolean" } },
        required: ["from", "seats"],
      },
    },
  },
];

/**
 * Registers the provider conformance suite (vitest): drives the provider through a real gateway and
 * node:http server against a scripted fake upstream, and checks what an OpenAI client receives — text,
 * finish reasons, usage, tool calls (streamed and not), stream framing, error mapping, cut streams, and
 * that a client disconnect aborts the upstream request.
 */
export function describeProviderConformance(options: ProviderConformanceOptions): void {
  describe(`provider conformance: ${options.name}`, () => {
    let upstream: ScriptedUpstream;
    let server: NodeGatewayServer;
    let checkFailures: unknown[] = [];

    beforeAll(async () => {
      upstream = await createScriptedUpstream();
      const gateway = createGateway({
        logger: silentLogger,
        retry: false,
        providers: [options.createProvider(upstream.url)],
      });
      server = await listen(gateway, { port: 0, graceMs: 1_000 });
    });
    afterAll(async () => {
      await server?.close();
      await upstream?.close();
    });

    function script(render: (request: WireRequest) => ReturnType<Parameters<ScriptedUpstream["answer"]>[0]>) {
      checkFailures = [];
      upstream.answer((wire) => {
        try {
          options.checkRequest?.(wire);
        } catch (error) {
          checkFailures.push(error);
        }
        return render(wire);
      });
    }

    async function chat(body: Record<string, unknown>) {
      const response = await request(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: options.model,
          messages: [{ role: "user", content: "Where to?" }],
          ...body,
        }),
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
        expect(Array.isArray(chunk.choices)).toBe(true);
        // Some providers (Azure) send annotation-only chunks with no choices; the rest must be proper chunks.
        if (chunk.choices.length > 0 || chunk.usage) {
          expect(chunk.object).toBe("chat.completion.chunk");
          expect(typeof chunk.id).toBe("string");
        }
      }
      return chunks;
    }

    const usageOf = (reply: ConformanceReply) => ({
      prompt_tokens: reply.usage.promptTokens,
      completion_tokens: reply.usage.completionTokens,
      total_tokens: reply.usage.promptTokens + reply.usage.completionTokens,
    });

    it("answers a chat request with the text, finish reason and usage", async () => {
      script((wire) => ({ json: options.renderReply(textReply, wire) }));
      const response = await chat({});
      expect(response.status).toBe(200);
      const body = JSON.parse(response.text);
      expect(body.object).toBe("chat.completion");
      expect(body.choices[0].message).toMatchObject({ role: "assistant", content: textReply.text });
      expect(body.choices[0].finish_reason).toBe("stop");
      expect(body.usage).toMatchObject(usageOf(textReply));
    });

    it("maps a length stop", async () => {
      script((wire) => ({ json: options.renderReply(lengthReply, wire) }));
      const body = JSON.parse((await chat({ max_tokens: 2 })).text);
      expect(body.choices[0].finish_reason).toBe("length");
    });

    it("streams the same text as well-formed chunks, usage last when asked", async () => {
      script((wire) => ({ stream: options.renderStream(textReply, wire) }));
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
    });

    it("hides the usage chunk when the client did not ask for it", async () => {
      script((wire) => ({ stream: options.renderStream(textReply, wire) }));
      const chunks = chunksOf((await chat({ stream: true })).text);
      expect(chunks.filter((chunk) => chunk.usage)).toEqual([]);
    });

    if (options.capabilities?.tools === false) {
      it("refuses tools before calling upstream", async () => {
        script((wire) => ({ json: options.renderReply(textReply, wire) }));
        const before = upstream.requests.length;
        const response = await chat({ tools });
        expect(response.status).toBe(400);
        expect(JSON.parse(response.text).error).toMatchObject({ code: "operation_not_supported" });
        expect(upstream.requests.length).toBe(before);
      });
    } else {
      it("answers a tool call with its name and JSON arguments", async () => {
        script((wire) => ({ json: options.renderReply(toolReply, wire) }));
        const body = JSON.parse((await chat({ tools })).text);
        expect(body.choices[0].finish_reason).toBe("tool_calls");
        const call = body.choices[0].message.tool_calls[0];
        expect(call.type).toBe("function");
        expect(typeof call.id).toBe("string");
        expect(call.function.name).toBe("find_train");
        expect(JSON.parse(call.function.arguments)).toEqual(JSON.parse(toolReply.toolCall?.arguments ?? ""));
      });

      it("streams a tool call whose argument deltas reassemble", async () => {
        script((wire) => ({ stream: options.renderStream(toolReply, wire) }));
        const chunks = chunksOf(
          (await chat({ tools, stream: true, stream_options: { include_usage: true } })).text,
        );
        let name = "";
        let args = "";
        let id: string | undefined;
        for (const chunk of chunks) {
          for (const call of chunk.choices[0]?.delta?.tool_calls ?? []) {
            expect(call.index).toBe(0);
            id ??= call.id;
            name += call.function?.name ?? "";
            args += call.function?.arguments ?? "";
          }
        }
        expect(typeof id).toBe("string");
        expect(name).toBe("find_train");
        expect(JSON.parse(args)).toEqual(JSON.parse(toolReply.toolCall?.arguments ?? ""));
        expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual([
          "tool_calls",
        ]);
        expect(chunks.at(-1).usage).toMatchObject(usageOf(toolReply));
      });

      it("streams text followed by a tool call, the tool call at index 0", async () => {
        script((wire) => ({ stream: options.renderStream(textThenToolReply, wire) }));
        const chunks = chunksOf((await chat({ tools, stream: true })).text);
        let text = "";
        let args = "";
        for (const chunk of chunks) {
          text += chunk.choices[0]?.delta?.content ?? "";
          for (const call of chunk.choices[0]?.delta?.tool_calls ?? []) {
            expect(call.index).toBe(0);
            args += call.function?.arguments ?? "";
          }
        }
        expect(text).toBe(textThenToolReply.text);
        expect(JSON.parse(args)).toEqual(JSON.parse(textThenToolReply.toolCall?.arguments ?? ""));
      });
    }

    for (const errorCase of options.errorCases ?? defaultErrorCases) {
      it(`maps an upstream ${errorCase.upstream} to ${errorCase.status} ${errorCase.code}`, async () => {
        const message = `conformance error ${errorCase.upstream}`;
        script((wire) => ({ json: options.renderError(errorCase.upstream, message, wire) }));
        const response = await chat({});
        expect(response.status).toBe(errorCase.status);
        const body = JSON.parse(response.text);
        expect(body.error).toMatchObject({ code: errorCase.code, type: expect.any(String) });
        if (errorCase.upstream !== 401 && errorCase.upstream !== 403)
          expect(body.error.message).toContain(message);
      });
    }

    it("passes a 429's Retry-After on", async () => {
      script((wire) => {
        const rendered = options.renderError(429, "slow down", wire);
        return { json: { ...rendered, headers: { ...rendered.headers, "retry-after": "7" } } };
      });
      const response = await chat({});
      expect(response.status).toBe(429);
      expect(response.headers["retry-after"]).toBe("7");
    });

    it("ends a cut stream with an error event, not [DONE]", async () => {
      script((wire) => {
        const stream = options.renderStream(textReply, wire);
        return { stream: { ...stream, cutAfter: Math.max(1, Math.floor(stream.events.length / 2)) } };
      });
      const all = events((await chat({ stream: true })).text);
      expect(all).not.toContain("[DONE]");
      expect(JSON.parse(all.at(-1) as string)).toMatchObject({ error: { code: expect.any(String) } });
    });

    it("aborts the upstream request when the client disconnects", async () => {
      script((wire) => ({ stream: { ...options.renderStream(textReply, wire), delayMs: 50 } }));
      const aborted = upstream.nextAbort();
      const controller = new AbortController();
      const response = await request(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: options.model,
          stream: true,
          messages: [{ role: "user", content: "Go" }],
        }),
        signal: controller.signal,
      });
      for await (const _chunk of response.body) {
        controller.abort();
        break;
      }
      await aborted;
      expect(upstream.aborts).toBeGreaterThanOrEqual(1);
    });
  });
}
