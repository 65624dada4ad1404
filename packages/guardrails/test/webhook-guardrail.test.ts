import { describe, expect, it } from "vitest";
import { createWebhookGuardrailPlugin, type WebhookGuardrailOptions } from "../src/index.js";
import {
  chat,
  countingMeter,
  exchange,
  type PolicyHandler,
  type PolicyService,
  reply,
  slow,
  startHarness,
  startPolicyService,
  streamedText,
} from "./helpers.js";

const REPLY = "The night train leaves from platform 9.";

async function setup(service: PolicyService, options: Partial<WebhookGuardrailOptions> = {}) {
  const { meter, counts } = countingMeter();
  const plugin = createWebhookGuardrailPlugin({ url: service.url, timeoutMs: 3_000, meter, ...options });
  const harness = await startHarness([plugin], { upstream: { reply: () => REPLY } });
  return { ...harness, counts };
}

/** The messages the upstream last received. */
// biome-ignore lint/suspicious/noExplicitAny: recorded JSON bodies
const sentBody = (harness: { upstream: { requests: Array<{ body: unknown }> } }): any =>
  harness.upstream.requests.at(-1)?.body;

describe("webhook guardrail on requests", () => {
  it("allow: the request goes on; the webhook saw it once, before routing", async () => {
    const service = await startPolicyService(reply(200, { action: "allow" }));
    const harness = await setup(service);
    const response = await exchange(harness.gateway, chat("hello there"));
    expect(response.status).toBe(200);
    expect(service.calls).toHaveLength(1);
    expect(service.calls[0]?.body).toMatchObject({
      phase: "request",
      operation: "chat",
      model: "mock-1",
      stream: false,
      principal: null,
      request: { model: "mock-1", messages: [{ role: "user", content: "hello there" }] },
    });
    expect(harness.counts.get("allowed")).toBe(1);
  });

  it("deny: 400 content_policy_violation with the webhook's reason; no upstream call", async () => {
    const service = await startPolicyService(reply(200, { action: "deny", reason: "Off-topic request." }));
    const harness = await setup(service);
    const response = await exchange(harness.gateway, chat());
    expect(response.status).toBe(400);
    expect(response.json().error).toMatchObject({
      code: "content_policy_violation",
      type: "invalid_request_error",
      message: "Off-topic request.",
    });
    expect(harness.upstream.stats.received).toBe(0);
    expect(harness.counts.get("denied")).toBe(1);
  });

  it("modify: the replacement is sent upstream, but it cannot change the model or the stream flag", async () => {
    const service = await startPolicyService(
      reply(200, {
        action: "modify",
        request: {
          model: "gpt-expensive",
          stream: true,
          messages: [
            { role: "system", content: "Answer politely." },
            { role: "user", content: "hello (rewritten)" },
          ],
        },
      }),
    );
    const harness = await setup(service);
    const response = await exchange(harness.gateway, chat("hello"));
    expect(response.status).toBe(200);
    expect(response.json().object).toBe("chat.completion");
    const sent = sentBody(harness);
    expect(sent.model).toBe("mock-1");
    expect(sent.stream).toBeUndefined();
    expect(sent.messages).toEqual([
      { role: "system", content: "Answer politely." },
      { role: "user", content: "hello (rewritten)" },
    ]);
    expect(harness.counts.get("modified")).toBe(1);
  });

  it("asks once per request: retries and fallbacks reuse the verdict", async () => {
    const service = await startPolicyService(
      reply(200, {
        action: "modify",
        request: { model: "mock-1", messages: [{ role: "user", content: "checked" }] },
      }),
    );
    const harness = await setup(service);
    harness.upstream.enqueueFault({ kind: "status", status: 500 });
    const response = await exchange(harness.gateway, chat("original"));
    expect(response.status).toBe(200);
    expect(harness.upstream.stats.received).toBe(2);
    expect(service.calls).toHaveLength(1);
    for (const request of harness.upstream.requests) {
      expect((request.body as { messages: unknown }).messages).toEqual([
        { role: "user", content: "checked" },
      ]);
    }
  });
});

describe.each<[string, () => PolicyHandler, Partial<WebhookGuardrailOptions>]>([
  ["a timeout", () => slow(5_000), { timeoutMs: 250 }],
  ["a 503", () => reply(503), {}],
  ["an answer that is not a verdict", () => reply(200, { verdict: "ok" }), {}],
  ["an invalid replacement", () => reply(200, { action: "modify", request: { messages: "not a list" } }), {}],
])("webhook guardrail on requests when the webhook fails with %s", (_label, handler, extra) => {
  it("fails closed by default: 503 policy_service_unavailable, upstream untouched", async () => {
    const service = await startPolicyService(handler());
    const harness = await setup(service, extra);
    const response = await exchange(harness.gateway, chat());
    expect(response.status).toBe(503);
    expect(response.json().error.code).toBe("policy_service_unavailable");
    expect(response.headers["retry-after"]).toBe("1");
    expect(harness.upstream.stats.received).toBe(0);
    expect(harness.counts.get("unavailable_closed")).toBe(1);
  });

  it("fails open when asked: the original request goes on unchecked", async () => {
    const service = await startPolicyService(handler());
    const harness = await setup(service, { ...extra, failOpen: true });
    const response = await exchange(harness.gateway, chat("as sent"));
    expect(response.status).toBe(200);
    expect(sentBody(harness).messages).toEqual([{ role: "user", content: "as sent" }]);
    expect(harness.counts.get("unavailable_open")).toBe(1);
  });
});

describe("webhook guardrail on answers", () => {
  it("non-streamed: the webhook sees the request and the answer; deny withholds it with 400", async () => {
    const service = await startPolicyService(reply(200, { action: "deny" }));
    const harness = await setup(service, { on: ["response"] });
    const response = await exchange(harness.gateway, chat("question"));
    expect(response.status).toBe(400);
    expect(response.json().error.message).toBe("The answer was withheld by the gateway's content policy.");
    expect(service.calls).toHaveLength(1);
    const call = service.calls[0]?.body;
    expect(call.phase).toBe("response");
    expect(call.request.messages[0].content).toBe("question");
    expect(call.response.choices[0].message.content).toBe(REPLY);
    // A refusal is not an upstream failure: not retried.
    expect(harness.upstream.stats.received).toBe(1);
  });

  it("non-streamed: modify replaces the answer", async () => {
    const service = await startPolicyService((call, response) => {
      const answer = call.body.response;
      answer.choices[0].message.content = "[answer replaced]";
      reply(200, { action: "modify", response: answer })(call, response);
    });
    const harness = await setup(service, { on: ["response"] });
    const response = await exchange(harness.gateway, chat());
    expect(response.status).toBe(200);
    expect(response.json().choices[0].message.content).toBe("[answer replaced]");
  });

  it("non-streamed, failing closed: 503, and the upstream is not asked again", async () => {
    const service = await startPolicyService(reply(500));
    const harness = await setup(service, { on: ["response"] });
    const response = await exchange(harness.gateway, chat());
    expect(response.status).toBe(503);
    expect(harness.upstream.stats.received).toBe(1);
  });

  it("streamed, buffered: allow sends the stream as the upstream sent it", async () => {
    const service = await startPolicyService(reply(200, { action: "allow" }));
    const harness = await setup(service, { on: ["response"] });
    const response = await exchange(harness.gateway, chat("q", { stream: true }));
    const { content, events } = streamedText(response.text);
    expect(content).toBe(REPLY);
    expect(events.at(-1)).toBe("[DONE]");
    expect(service.calls[0]?.body.response.choices[0]).toMatchObject({
      index: 0,
      message: { role: "assistant", content: REPLY },
      finish_reason: "stop",
    });
  });

  it("streamed, buffered: deny sends only an error event, none of the text", async () => {
    const service = await startPolicyService(reply(200, { action: "deny", reason: "Leaks the schedule." }));
    const harness = await setup(service, { on: ["response"] });
    const response = await exchange(harness.gateway, chat("q", { stream: true }));
    expect(response.status).toBe(200);
    const { content, events } = streamedText(response.text.replace(/data: \{"error".*\n\n/, ""));
    expect(content).toBe("");
    expect(events).toEqual([]);
    expect(JSON.parse(response.text.slice(6)).error).toMatchObject({
      code: "content_policy_violation",
      message: "Leaks the schedule.",
    });
  });

  it("streamed, buffered: modify streams the replacement, with usage when the client asked", async () => {
    const service = await startPolicyService((call, response) => {
      const answer = call.body.response;
      answer.choices[0].message.content = "Ask at the station.";
      reply(200, { action: "modify", response: answer })(call, response);
    });
    const harness = await setup(service, { on: ["response"] });
    const response = await exchange(
      harness.gateway,
      chat("q", { stream: true, stream_options: { include_usage: true } }),
    );
    const { content, events } = streamedText(response.text);
    expect(content).toBe("Ask at the station.");
    expect(events.at(-1)).toBe("[DONE]");
    const usage = events
      .slice(0, -1)
      .map((event) => JSON.parse(event))
      .find((chunk) => chunk.usage);
    expect(usage?.choices).toEqual([]);
    expect(usage?.usage.completion_tokens).toBeGreaterThan(0);
  });

  it("streamed, buffered: a stream cut upstream releases none of its unchecked text", async () => {
    const service = await startPolicyService(reply(200, { action: "allow" }));
    const harness = await setup(service, { on: ["response"] });
    harness.upstream.enqueueFault({ kind: "cut-stream", afterChunks: 4 });
    const response = await exchange(harness.gateway, chat("q", { stream: true }));
    expect(streamedText(response.text.replace(/data: \{"error".*\n\n/, "")).content).toBe("");
    expect(response.text).toContain("upstream_stream_interrupted");
    expect(service.calls).toHaveLength(0);
  });

  it("streamed, buffered, over maxBufferBytes: fails closed with an error event", async () => {
    const service = await startPolicyService(reply(200, { action: "allow" }));
    const harness = await setup(service, { on: ["response"], maxBufferBytes: 200 });
    const response = await exchange(harness.gateway, chat("q", { stream: true }));
    expect(streamedText(response.text.replace(/data: \{"error".*\n\n/, "")).content).toBe("");
    expect(response.text).toContain("policy_service_unavailable");
    expect(response.text).toContain("too long for the content policy check");
    expect(service.calls).toHaveLength(0);
  });

  it("streamed, buffered, over maxBufferBytes, failing open: the whole stream goes through unchecked", async () => {
    const service = await startPolicyService(reply(200, { action: "deny" }));
    const harness = await setup(service, { on: ["response"], maxBufferBytes: 200, failOpen: true });
    const response = await exchange(harness.gateway, chat("q", { stream: true }));
    const { content, events } = streamedText(response.text);
    expect(content).toBe(REPLY);
    expect(events.at(-1)).toBe("[DONE]");
    expect(service.calls).toHaveLength(0);
    expect(harness.counts.get("unavailable_open")).toBe(1);
  });

  it("streamed, unchecked mode: streams pass as they come and the webhook is not asked", async () => {
    const service = await startPolicyService(reply(200, { action: "deny" }));
    const harness = await setup(service, { on: ["response"], streamMode: "unchecked" });
    const response = await exchange(harness.gateway, chat("q", { stream: true }));
    expect(streamedText(response.text).content).toBe(REPLY);
    expect(service.calls).toHaveLength(0);
  });
});
