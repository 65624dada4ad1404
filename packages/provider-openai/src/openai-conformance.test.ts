import { describeProviderConformance, type WireRequest } from "@switchyard/testing";
import { expect } from "vitest";
import { createOpenAIProvider } from "./openai-provider.js";

const base = { id: "chatcmpl-conf", created: 1_700_000_000, model: "gpt-4o-mini" };
const sse = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

describeProviderConformance({
  name: "openai",
  model: "gpt-4o-mini",
  createProvider: (origin) =>
    createOpenAIProvider({ baseURL: `${origin}/v1`, apiKey: "sk-conformance", models: ["gpt-4o-mini"] }),
  checkRequest(request: WireRequest) {
    expect(request.url).toBe("/v1/chat/completions");
    expect(request.headers.authorization).toBe("Bearer sk-conformance");
    expect(request.headers["content-type"]).toBe("application/json");
    const body = request.body as Record<string, unknown>;
    expect(body.model).toBe("gpt-4o-mini");
    expect(Array.isArray(body.messages)).toBe(true);
    if (body.stream) expect(body.stream_options).toEqual({ include_usage: true });
  },
  renderReply(reply) {
    const message = reply.toolCall
      ? {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: reply.toolCall.id,
              type: "function",
              function: { name: reply.toolCall.name, arguments: reply.toolCall.arguments },
            },
          ],
        }
      : { role: "assistant", content: reply.text, refusal: null };
    const usage = {
      prompt_tokens: reply.usage.promptTokens,
      completion_tokens: reply.usage.completionTokens,
      total_tokens: reply.usage.promptTokens + reply.usage.completionTokens,
    };
    return {
      status: 200,
      body: JSON.stringify({
        ...base,
        object: "chat.completion",
        choices: [{ index: 0, message, logprobs: null, finish_reason: reply.finishReason }],
        usage,
      }),
    };
  },
  renderStream(reply) {
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      sse({
        ...base,
        object: "chat.completion.chunk",
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
        usage: null,
      });
    const events = [chunk({ role: "assistant", content: "" })];
    if (reply.toolCall) {
      const { id, name, arguments: args } = reply.toolCall;
      events.push(
        chunk({ tool_calls: [{ index: 0, id, type: "function", function: { name, arguments: "" } }] }),
      );
      for (let at = 0; at < args.length; at += 7) {
        events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(at, at + 7) } }] }));
      }
    }
    for (const word of reply.text.match(/\S+\s*/g) ?? []) events.push(chunk({ content: word }));
    events.push(chunk({}, reply.finishReason));
    events.push(
      sse({
        ...base,
        object: "chat.completion.chunk",
        choices: [],
        usage: {
          prompt_tokens: reply.usage.promptTokens,
          completion_tokens: reply.usage.completionTokens,
          total_tokens: reply.usage.promptTokens + reply.usage.completionTokens,
        },
      }),
    );
    events.push("data: [DONE]\n\n");
    return { events };
  },
  renderError(status, message) {
    return {
      status,
      body: JSON.stringify({ error: { message, type: "invalid_request_error", param: null, code: null } }),
    };
  },
});
