import { type ConformanceReply, describeProviderConformance, type WireRequest } from "@switchyard/testing";
import { expect } from "vitest";
import { anthropicMessagesRequestSchema } from "./anthropic-api.js";
import { createAnthropicProvider } from "./anthropic-provider.js";

const MODEL = "claude-sonnet-4-5-20250929";
const stopReasons = { stop: "end_turn", length: "max_tokens", tool_calls: "tool_use" } as const;
// Anthropic's error type for each HTTP status (https://docs.anthropic.com/en/api/errors).
const errorTypes: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};
const event = (data: Record<string, unknown>) =>
  `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;

describeProviderConformance({
  name: "anthropic",
  model: MODEL,
  createProvider: (origin) =>
    createAnthropicProvider({ baseURL: origin, apiKey: "sk-ant-conformance", models: [MODEL] }),
  checkRequest(request: WireRequest) {
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/v1/messages");
    expect(request.headers["x-api-key"]).toBe("sk-ant-conformance");
    expect(request.headers["anthropic-version"]).toBe("2023-06-01");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers.authorization).toBeUndefined();
    // Required fields, ranges, conversation rules, and no field the API does not know.
    const body = anthropicMessagesRequestSchema.parse(request.body);
    expect(body.model).toBe(MODEL);
  },
  renderReply(reply) {
    return {
      status: 200,
      headers: { "request-id": "req_conformance_reply" },
      body: JSON.stringify({
        id: "msg_conformance",
        type: "message",
        role: "assistant",
        model: MODEL,
        content: [
          ...(reply.text ? [{ type: "text", text: reply.text }] : []),
          ...(reply.toolCall
            ? [
                {
                  type: "tool_use",
                  id: reply.toolCall.id,
                  name: reply.toolCall.name,
                  input: JSON.parse(reply.toolCall.arguments),
                },
              ]
            : []),
        ],
        stop_reason: stopReasons[reply.finishReason],
        stop_sequence: null,
        usage: {
          input_tokens: reply.usage.promptTokens,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: reply.usage.completionTokens,
        },
      }),
    };
  },
  renderStream(reply: ConformanceReply) {
    // The sequence the streaming guide documents: message_start, then per content block start / deltas /
    // stop (a ping after the first start), message_delta with the stop reason and usage, message_stop.
    const events = [
      event({
        type: "message_start",
        message: {
          id: "msg_conformance",
          type: "message",
          role: "assistant",
          model: MODEL,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: reply.usage.promptTokens,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
            output_tokens: 1,
          },
        },
      }),
    ];
    let index = 0;
    if (reply.text) {
      events.push(event({ type: "content_block_start", index, content_block: { type: "text", text: "" } }));
      events.push(event({ type: "ping" }));
      for (const word of reply.text.match(/\S+\s*/g) ?? []) {
        events.push(event({ type: "content_block_delta", index, delta: { type: "text_delta", text: word } }));
      }
      events.push(event({ type: "content_block_stop", index }));
      index++;
    }
    if (reply.toolCall) {
      const { id, name, arguments: args } = reply.toolCall;
      events.push(
        event({
          type: "content_block_start",
          index,
          content_block: { type: "tool_use", id, name, input: {} },
        }),
      );
      events.push(
        event({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: "" } }),
      );
      for (let at = 0; at < args.length; at += 7) {
        events.push(
          event({
            type: "content_block_delta",
            index,
            delta: { type: "input_json_delta", partial_json: args.slice(at, at + 7) },
          }),
        );
      }
      events.push(event({ type: "content_block_stop", index }));
    }
    events.push(
      event({
        type: "message_delta",
        delta: { stop_reason: stopReasons[reply.finishReason], stop_sequence: null },
        usage: { output_tokens: reply.usage.completionTokens },
      }),
    );
    events.push(event({ type: "message_stop" }));
    return { headers: { "request-id": "req_conformance_stream" }, events };
  },
  renderError(status, message) {
    return {
      status,
      body: JSON.stringify({
        type: "error",
        error: { type: errorTypes[status] ?? "api_error", message },
        request_id: "req_conformance_error",
      }),
    };
  },
  errorCases: [
    { upstream: 400, status: 400, code: "upstream_invalid_request" },
    { upstream: 401, status: 502, code: "upstream_authentication_failed" },
    { upstream: 403, status: 502, code: "upstream_authentication_failed" },
    { upstream: 404, status: 404, code: "model_not_found" },
    { upstream: 413, status: 413, code: "upstream_invalid_request" },
    { upstream: 429, status: 429, code: "upstream_rate_limited" },
    { upstream: 500, status: 502, code: "upstream_error" },
    { upstream: 503, status: 503, code: "upstream_overloaded" },
    { upstream: 529, status: 503, code: "upstream_overloaded" },
  ],
});
