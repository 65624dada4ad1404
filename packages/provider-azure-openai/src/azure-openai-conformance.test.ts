import { describeProviderConformance, type WireRequest } from "@switchyard/testing";
import { expect } from "vitest";
import { createAzureOpenAIProvider } from "./azure-openai-provider.js";

// The request fields Azure's chat completions accept at api-version 2024-10-21; it refuses others with a
// 400 "Unrecognized request argument supplied". `model` is ignored on the deployments surface, but sent.
const acceptedFields = new Set([
  "model",
  "messages",
  "temperature",
  "top_p",
  "stream",
  "stream_options",
  "stop",
  "max_tokens",
  "max_completion_tokens",
  "presence_penalty",
  "frequency_penalty",
  "logit_bias",
  "user",
  "n",
  "seed",
  "logprobs",
  "top_logprobs",
  "response_format",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "functions",
  "function_call",
  "data_sources",
]);

const safe = { filtered: false, severity: "safe" };
const filterResults = { hate: safe, self_harm: safe, sexual: safe, violence: safe };
const base = { created: 1_748_977_994, id: "chatcmpl-azure-conf", model: "gpt-4o-mini-2024-07-18" };
const sse = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

describeProviderConformance({
  name: "azure-openai",
  model: "gpt-4o-mini",
  createProvider: (origin) =>
    createAzureOpenAIProvider({
      baseURL: origin,
      apiKey: "azure-conformance",
      deployments: { "gpt-4o-mini": "mini" },
    }),
  checkRequest(request: WireRequest) {
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/openai/deployments/mini/chat/completions?api-version=2024-10-21");
    expect(request.headers["api-key"]).toBe("azure-conformance");
    expect(request.headers.authorization).toBeUndefined();
    expect(request.headers["content-type"]).toBe("application/json");
    const body = request.body as Record<string, unknown>;
    const unknown = Object.keys(body).filter((field) => !acceptedFields.has(field));
    expect(unknown, "fields Azure refuses").toEqual([]);
    expect(Array.isArray(body.messages)).toBe(true);
    if (body.stream) expect(body.stream_options).toEqual({ include_usage: true });
    else expect(body.stream_options).toBeUndefined();
  },
  renderReply(reply) {
    const message = reply.toolCall
      ? {
          content: null,
          refusal: null,
          role: "assistant",
          tool_calls: [
            {
              function: { arguments: reply.toolCall.arguments, name: reply.toolCall.name },
              id: reply.toolCall.id,
              type: "function",
            },
          ],
        }
      : { annotations: [], content: reply.text, refusal: null, role: "assistant" };
    return {
      status: 200,
      headers: { "x-request-id": "azure-conf-req", "apim-request-id": "azure-conf-apim" },
      body: JSON.stringify({
        choices: [
          {
            content_filter_results: reply.toolCall ? {} : filterResults,
            finish_reason: reply.finishReason,
            index: 0,
            logprobs: null,
            message,
          },
        ],
        ...base,
        object: "chat.completion",
        prompt_filter_results: [{ prompt_index: 0, content_filter_results: filterResults }],
        system_fingerprint: "fp_ee1d74bde0",
        usage: {
          completion_tokens: reply.usage.completionTokens,
          prompt_tokens: reply.usage.promptTokens,
          total_tokens: reply.usage.promptTokens + reply.usage.completionTokens,
        },
      }),
    };
  },
  // Azure's real stream opens with an annotation-only chunk (`choices: []`, `object: ""`) carrying
  // `prompt_filter_results`. The kit requires every chunk to be a `chat.completion.chunk` and, without
  // include_usage, every chunk to have choices, so that chunk is left out here; the gateway tests replay the
  // full recorded sequence, annotation chunk included, through the same fast path.
  renderStream(reply) {
    const chunk = (
      delta: Record<string, unknown>,
      finish: string | null = null,
      filters: unknown = filterResults,
    ) =>
      sse({
        choices: [
          { content_filter_results: filters, delta, finish_reason: finish, index: 0, logprobs: null },
        ],
        ...base,
        object: "chat.completion.chunk",
        system_fingerprint: "fp_ee1d74bde0",
      });
    const events = [chunk({ content: "", refusal: null, role: "assistant" }, null, {})];
    if (reply.toolCall) {
      const { id, name, arguments: args } = reply.toolCall;
      events.push(
        chunk(
          { tool_calls: [{ function: { arguments: "", name }, id, index: 0, type: "function" }] },
          null,
          {},
        ),
      );
      for (let at = 0; at < args.length; at += 6) {
        events.push(
          chunk({ tool_calls: [{ function: { arguments: args.slice(at, at + 6) }, index: 0 }] }, null, {}),
        );
      }
    }
    for (const word of reply.text.match(/\S+\s*/g) ?? []) events.push(chunk({ content: word }));
    events.push(chunk({}, reply.finishReason, {}));
    events.push(
      sse({
        choices: [],
        ...base,
        object: "chat.completion.chunk",
        system_fingerprint: "fp_ee1d74bde0",
        usage: {
          completion_tokens: reply.usage.completionTokens,
          prompt_tokens: reply.usage.promptTokens,
          total_tokens: reply.usage.promptTokens + reply.usage.completionTokens,
        },
      }),
    );
    events.push("data: [DONE]\n\n");
    return { events };
  },
  renderError(status, message) {
    const code = status === 404 ? "DeploymentNotFound" : String(status);
    return { status, body: JSON.stringify({ error: { code, message } }) };
  },
});
