import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { createExternalAuthPlugin, type ExternalAuthOptions } from "../src/index.js";
import {
  chat,
  countingMeter,
  exchange,
  type PolicyService,
  reply,
  slow,
  startHarness,
  startPolicyService,
} from "./helpers.js";

const CREDENTIALS = { authorization: "Bearer user-key-1", cookie: "session=secret", "x-team": "blue" };

async function setup(
  service: PolicyService,
  options: Partial<ExternalAuthOptions> = {},
  requireAuth = false,
) {
  const { meter, counts } = countingMeter();
  // Generous: a cold first call on a busy machine takes a while; timeout cases set their own.
  const plugin = createExternalAuthPlugin({ url: service.url, timeoutMs: 3_000, meter, ...options });
  const harness = await startHarness([plugin], { gateway: { requireAuth } });
  const principals: unknown[] = [];
  harness.gateway.hooks.requestCompleted.tap("test", (context) => {
    principals.push(context.principal);
  });
  return { ...harness, counts, principals };
}

describe("external authentication: the service decides", () => {
  it("200 makes the answer's principal the caller's, and sends only the selected headers", async () => {
    const service = await startPolicyService(
      reply(200, { id: "user-1", team: "blue", metadata: { tier: "gold" } }),
    );
    const { gateway, principals, upstream } = await setup(service);
    const response = await exchange(gateway, chat(), { headers: CREDENTIALS });
    expect(response.status).toBe(200);
    await expect.poll(() => principals).toEqual([{ id: "user-1", team: "blue", metadata: { tier: "gold" } }]);
    expect(service.calls).toHaveLength(1);
    const call = service.calls[0];
    expect(call?.body).toMatchObject({
      method: "POST",
      path: "/v1/chat/completions",
      operation: "chat",
      model: "mock-1",
      stream: false,
      headers: { authorization: "Bearer user-key-1" },
    });
    expect(Object.keys(call?.body.headers)).toEqual(["authorization"]);
    expect(call?.headers["x-request-id"]).toBe(response.headers["x-request-id"]);
    expect(upstream.stats.received).toBe(1);
  });

  it("401 refuses with the service's reason, and the upstream is never called", async () => {
    const service = await startPolicyService(reply(401, { reason: "key revoked\non 2025-01-01" }));
    const { gateway, upstream, counts } = await setup(service);
    const response = await exchange(gateway, chat(), { headers: CREDENTIALS });
    expect(response.status).toBe(401);
    expect(response.json().error).toMatchObject({
      code: "invalid_api_key",
      message: "key revoked on 2025-01-01",
    });
    expect(upstream.stats.received).toBe(0);
    expect(counts.get("denied")).toBe(1);
  });

  it("403 refuses as forbidden, with a default message when the service gives none", async () => {
    const service = await startPolicyService(reply(403));
    const { gateway } = await setup(service);
    const response = await exchange(gateway, chat(), { headers: CREDENTIALS });
    expect(response.status).toBe(403);
    expect(response.json().error).toMatchObject({ code: "forbidden", type: "permission_error" });
  });
});

describe.each([
  ["a timeout", () => slow(5_000, reply(200, { id: "late" })), { timeoutMs: 250 }],
  ["a 500", () => reply(500, { error: "boom" }), {}],
  ["a 404 (misconfigured URL)", () => reply(404), {}],
  ["a 200 that is not a principal", () => reply(200, { user: "no id field" }), {}],
])("external authentication when the service fails with %s", (_label, handler, extra) => {
  it("fails closed by default: 503 policy_service_unavailable with Retry-After, upstream untouched", async () => {
    const service = await startPolicyService(handler());
    const { gateway, upstream, counts } = await setup(service, extra);
    const response = await exchange(gateway, chat(), { headers: CREDENTIALS });
    expect(response.status).toBe(503);
    expect(response.json().error.code).toBe("policy_service_unavailable");
    expect(response.headers["retry-after"]).toBe("1");
    expect(upstream.stats.received).toBe(0);
    expect(counts.get("unavailable_closed")).toBe(1);
  });

  it("fails open when asked: the request goes on as the configured principal", async () => {
    const service = await startPolicyService(handler());
    const { gateway, principals, counts } = await setup(service, {
      ...extra,
      failOpen: true,
      failOpenPrincipal: { id: "degraded", team: "fallback" },
    });
    const response = await exchange(gateway, chat(), { headers: CREDENTIALS });
    expect(response.status).toBe(200);
    await expect.poll(() => principals).toEqual([{ id: "degraded", team: "fallback" }]);
    expect(counts.get("unavailable_open")).toBe(1);
  });
});

describe("external authentication, more", () => {
  it("fails closed when the service is unreachable", async () => {
    // A port that was free a moment ago: connections are refused.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, "127.0.0.1", () => {
        const address = probe.address() as { port: number };
        probe.close(() => resolve(address.port));
      });
    });
    const service = { url: `http://127.0.0.1:${port}/check` } as PolicyService;
    const { gateway } = await setup(service);
    const response = await exchange(gateway, chat(), { headers: CREDENTIALS });
    expect(response.status).toBe(503);
    expect(response.json().error.code).toBe("policy_service_unavailable");
  });

  it("failing open without a principal leaves the request anonymous, which requireAuth refuses", async () => {
    const service = await startPolicyService(reply(502));
    const { gateway, upstream } = await setup(service, { failOpen: true }, true);
    const response = await exchange(gateway, chat(), { headers: CREDENTIALS });
    expect(response.status).toBe(401);
    expect(response.json().error.code).toBe("missing_api_key");
    expect(upstream.stats.received).toBe(0);
  });

  it("caches positive answers by credentials, operation and model, never refusals", async () => {
    const service = await startPolicyService((call, response) => {
      const allowed = call.body.headers.authorization === "Bearer good";
      response.writeHead(allowed ? 200 : 401, { "content-type": "application/json" });
      response.end(JSON.stringify(allowed ? { id: "good-user" } : { reason: "no" }));
    });
    const { gateway, counts } = await setup(service, { cacheTtlMs: 60_000 });
    const good = { authorization: "Bearer good" };
    expect((await exchange(gateway, chat(), { headers: good })).status).toBe(200);
    expect((await exchange(gateway, chat(), { headers: good })).status).toBe(200);
    expect(service.calls).toHaveLength(1);
    expect(counts.get("cached")).toBe(1);
    // Another model is another question.
    await exchange(gateway, { ...chat(), model: "up/mock-1" }, { headers: good });
    expect(service.calls).toHaveLength(2);
    const bad = { authorization: "Bearer bad" };
    expect((await exchange(gateway, chat(), { headers: bad })).status).toBe(401);
    expect((await exchange(gateway, chat(), { headers: bad })).status).toBe(401);
    expect(service.calls).toHaveLength(4);
  });

  it("asks again once a cached answer has expired", async () => {
    const service = await startPolicyService(reply(200, { id: "u" }));
    const { gateway } = await setup(service, { cacheTtlMs: 30 });
    await exchange(gateway, chat(), { headers: CREDENTIALS });
    await new Promise((resolve) => setTimeout(resolve, 60));
    await exchange(gateway, chat(), { headers: CREDENTIALS });
    expect(service.calls).toHaveLength(2);
  });

  it("sends the configured headers to the service", async () => {
    const service = await startPolicyService(reply(200, { id: "u" }));
    const { gateway } = await setup(service, { headers: { authorization: "Bearer gateway-to-authz" } });
    await exchange(gateway, chat(), { headers: CREDENTIALS });
    expect(service.calls[0]?.headers.authorization).toBe("Bearer gateway-to-authz");
    expect(service.calls[0]?.body.headers.authorization).toBe("Bearer user-key-1");
  });

  it.each([
    [{ url: "ftp://example.com" }, "url"],
    [{ url: "https://user:pass@example.com/check" }, "url"],
    [{ url: "http://127.0.0.1/check", timeoutMs: 0 }, "timeoutMs"],
    [{ url: "http://127.0.0.1/check", forwardHeaders: ["bad header"] }, "forwardHeaders"],
    [{ url: "http://127.0.0.1/check", surprise: true }, "surprise"],
  ])("refuses bad options %j naming %s", (options, path) => {
    expect(() => createExternalAuthPlugin(options as ExternalAuthOptions)).toThrow(
      expect.objectContaining({ code: "SWY_ERR_CONFIG_INVALID", message: expect.stringContaining(path) }),
    );
  });
});
