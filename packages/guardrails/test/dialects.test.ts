import {
  type CanonicalRequest,
  chatCompletionRequestSchema,
  formatSseEvent,
  type InboundDialect,
  type Provider,
  parseRequest,
  type Usage,
} from "@switchyard/core";
import { describe, expect, it } from "vitest";
import {
  createDenylistPlugin,
  createPiiRedactionPlugin,
  createWebhookGuardrailPlugin,
  type WebhookGuardrailOptions,
} from "../src/index.js";
import { chat, exchange, lastSent, reply, startHarness, startPolicyService } from "./helpers.js";

// A dialect whose wire format is OpenAI's own, on another path, with a byte passthrough to OpenAI-dialect
// providers: the case where the gateway would forward the client's raw body if nothing stopped it.
const echo: InboundDialect = {
  name: "echo",
  routes: { "/echo/chat": "chat" },
  // The canonical form is marked, so a test can tell which one went upstream.
  toCanonical: (body) => ({ ...parseRequest(chatCompletionRequestSchema, body), user: "via-canonical" }),
  isStream: (body) => (body as { stream?: boolean }).stream === true,
  fromCanonical: (response) => response,
  createStreamEncoder: () => ({
    chunk: (chunk) => formatSseEvent(JSON.stringify(chunk)),
    end: () => "data: [DONE]\n\n",
    error: (error) => formatSseEvent(JSON.stringify({ echoError: error.message })),
  }),
  errorBody: (error) => ({ echoError: error.message }),
  passthrough: {
    providerDialect: "openai",
    usageOf: (body) => (body as { usage?: Usage }).usage,
    createStreamWatcher() {
      let done = false;
      return {
        push(event) {
          if (event.data === "[DONE]") done = true;
        },
        usage: undefined,
        get done() {
          return done;
        },
        error: undefined,
      };
    },
  },
};

// The OpenAI provider, able to take a client body in its own format as is.
const withPassthrough = (provider: Provider): Provider =>
  Object.assign(Object.create(provider) as Provider, {
    buildPassthroughRequest: (body: unknown, call: Parameters<Provider["buildRequest"]>[1]) =>
      provider.buildRequest(body as CanonicalRequest, call),
  });

const harness = (plugins: Parameters<typeof startHarness>[0]) =>
  startHarness(plugins, { gateway: { dialects: [echo] }, provider: withPassthrough });

describe("request checks and inbound dialects with a byte passthrough", () => {
  it("the passthrough is real: without a guardrail, the client's raw body goes upstream", async () => {
    const { gateway, upstream } = await harness([]);
    expect((await exchange(gateway, chat("mail a@b.io"), { path: "/echo/chat" })).status).toBe(200);
    expect(lastSent(upstream).user).toBeUndefined();
    expect(lastSent(upstream).messages[0].content).toBe("mail a@b.io");
  });

  it.each([
    ["PII redaction", () => createPiiRedactionPlugin({ on: ["request"] })],
    [
      "a redacting denylist",
      () => createDenylistPlugin({ patterns: ["a@b.io"], action: "redact", on: ["request"] }),
    ],
  ])("%s: what goes upstream is the checked request, not the client's bytes", async (_label, plugin) => {
    const { gateway, upstream } = await harness([plugin()]);
    expect((await exchange(gateway, chat("mail a@b.io"), { path: "/echo/chat" })).status).toBe(200);
    expect(lastSent(upstream).user).toBe("via-canonical");
    expect(lastSent(upstream).messages[0].content).not.toContain("a@b.io");
  });

  it("a webhook's replacement is what goes upstream", async () => {
    const service = await startPolicyService(
      reply(200, {
        action: "modify",
        request: { model: "mock-1", messages: [{ role: "user", content: "checked" }] },
      }),
    );
    const { gateway, upstream } = await harness([
      createWebhookGuardrailPlugin({ url: service.url, timeoutMs: 3_000 }),
    ]);
    expect((await exchange(gateway, chat("raw"), { path: "/echo/chat" })).status).toBe(200);
    expect(lastSent(upstream).messages).toEqual([{ role: "user", content: "checked" }]);
    expect(service.calls[0]?.body.dialect).toBe("echo");
  });
});

describe("the webhook's buffered stream check and other dialects", () => {
  const options = (extra: Partial<WebhookGuardrailOptions>) => ({
    on: ["response" as const],
    timeoutMs: 3_000,
    ...extra,
  });

  it("refuses a stream it cannot read before it starts, in the client's error shape", async () => {
    const service = await startPolicyService(reply(200, { action: "allow" }));
    const { gateway, upstream } = await harness([
      createWebhookGuardrailPlugin({ url: service.url, ...options({}) }),
    ]);
    const response = await exchange(gateway, chat("q", { stream: true }), { path: "/echo/chat" });
    expect(response.status).toBe(503);
    expect(response.json().echoError).toContain("cannot check streamed answers");
    expect(upstream.stats.received).toBe(0);
  });

  it("lets it through unchecked when failing open", async () => {
    const service = await startPolicyService(reply(200, { action: "deny" }));
    const { gateway } = await harness([
      createWebhookGuardrailPlugin({ url: service.url, ...options({ failOpen: true }) }),
    ]);
    const response = await exchange(gateway, chat("q", { stream: true }), { path: "/echo/chat" });
    expect(response.status).toBe(200);
    expect(response.text).toContain("[DONE]");
    expect(service.calls).toHaveLength(0);
  });

  it("still checks complete answers in any dialect", async () => {
    const service = await startPolicyService(reply(200, { action: "deny", reason: "No." }));
    const { gateway } = await harness([createWebhookGuardrailPlugin({ url: service.url, ...options({}) })]);
    const response = await exchange(gateway, chat("q"), { path: "/echo/chat" });
    expect(response.status).toBe(400);
    expect(response.json()).toEqual({ echoError: "No." });
  });
});
