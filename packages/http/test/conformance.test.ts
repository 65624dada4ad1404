import { getEventListeners } from "node:events";
import type { Server } from "node:http";
import { Agent, request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { adapters } from "./adapters.js";
import { chatBody, postJson, type Stack, sseData, startStack } from "./helpers.js";

// The conformance suite: every adapter must give the same answers as the node:http one — routes, errors,
// streaming, cancellation, backpressure, body limits, CORS, request ids, graceful shutdown. Each adapter
// serves the gateway under a mount path, as apps do.
const PREFIX = "/llm";
const BODY_LIMIT = 2 * 1024 * 1024;

const errorShape = {
  error: {
    message: expect.any(String),
    type: expect.any(String),
    param: expect.toSatisfy((value: unknown) => value === null || typeof value === "string"),
    code: expect.any(String),
  },
};

/** Opens a streaming chat completion and waits for its first chunk. */
async function openStream(url: string, options: { signal?: AbortSignal; dispatcher?: Agent } = {}) {
  const response = await request(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(chatBody({ stream: true })),
    ...options,
  });
  // Errors after an abort are expected; the test looks at the server side.
  response.body.on("error", () => {});
  const reader = response.body[Symbol.asyncIterator]();
  const first = await reader.next();
  return { response, reader, first: Buffer.from(first.value as Buffer).toString() };
}

function connections(server: Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

function nextUpstreamAbort(stack: Stack): Promise<number> {
  return new Promise((resolve) => {
    const listener = () => {
      stack.upstream.off("abort", listener);
      resolve(performance.now());
    };
    stack.upstream.on("abort", listener);
  });
}

describe.each(adapters)("conformance: $name", (adapter) => {
  const start = (options: Parameters<typeof startStack>[0] = {}) =>
    startStack({
      ...options,
      adapter,
      gateway: { bodyLimitBytes: BODY_LIMIT, ...options.gateway },
      listen: { pathPrefix: PREFIX, ...options.listen },
    });

  describe("routes, errors and request ids", () => {
    let stack: Stack;
    let chatUrl: string;

    beforeAll(async () => {
      stack = await start();
      chatUrl = `${stack.url}/v1/chat/completions`;
    });
    afterAll(() => stack.close());

    it("serves a non-streaming chat completion", async () => {
      const response = await postJson(chatUrl, chatBody());
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(response.body.object).toBe("chat.completion");
      expect(response.body.choices[0].message.content.length).toBeGreaterThan(0);
    });

    it("streams a chat completion as SSE, ending with [DONE]", async () => {
      const plain = await postJson(chatUrl, chatBody());
      const response = await fetch(chatUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(chatBody({ stream: true })),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const events = sseData(await response.text());
      expect(events.at(-1)).toBe("[DONE]");
      const text = events
        .slice(0, -1)
        .map((event) => JSON.parse(event).choices[0]?.delta.content ?? "")
        .join("");
      expect(text).toBe(plain.body.choices[0].message.content);
    });

    it("serves embeddings, models and health", async () => {
      const embeddings = await postJson(`${stack.url}/v1/embeddings`, { model: "mock-1", input: ["a", "b"] });
      expect(embeddings.status).toBe(200);
      expect(embeddings.body.data).toHaveLength(2);
      const models = await fetch(`${stack.url}/v1/models`);
      expect(models.status).toBe(200);
      const list = (await models.json()) as { data: Array<{ id: string }> };
      expect(list.data.map((model) => model.id)).toEqual(expect.arrayContaining(["mock-1", "chat-only"]));
      const health = await fetch(`${stack.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok" });
    });

    it.each([
      ["malformed JSON", '{"model": "mock-1",', 400, "invalid_json", null],
      ["an array body", "[1,2]", 400, "invalid_request", null],
      ["an empty body", "", 400, "invalid_json", null],
      ["missing messages", { model: "mock-1" }, 400, "invalid_request", "messages"],
      ["empty messages", { model: "mock-1", messages: [] }, 400, "invalid_request", "messages"],
      ["a wrong type", chatBody({ temperature: "hot" }), 400, "invalid_request", "temperature"],
      ["an out-of-range value", chatBody({ temperature: 3 }), 400, "invalid_request", "temperature"],
      [
        "an unknown role",
        { model: "mock-1", messages: [{ role: "wizard", content: "x" }] },
        400,
        "invalid_request",
        "messages[0].role",
      ],
      [
        "a message without content",
        { model: "mock-1", messages: [{ role: "user" }] },
        400,
        "invalid_request",
        "messages[0].content",
      ],
      ["an unknown model", chatBody({ model: "gpt-nothing" }), 404, "model_not_found", "model"],
      ["an unknown provider prefix", chatBody({ model: "nobody/mock-1" }), 404, "model_not_found", "model"],
    ])("answers %s with an OpenAI-shaped error", async (_name, body, status, code, param) => {
      const response = await postJson(chatUrl, body);
      expect(response.status).toBe(status);
      expect(response.body).toMatchObject(errorShape);
      expect(response.body.error.code).toBe(code);
      expect(response.body.error.param).toBe(param);
      expect(response.headers.get("x-request-id")).toMatch(/.+/);
    });

    it("refuses a non-JSON content type with 415", async () => {
      const response = await fetch(chatUrl, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "{}",
      });
      expect(response.status).toBe(415);
      expect(await response.json()).toMatchObject({ error: { code: "unsupported_media_type" } });
    });

    it("refuses the wrong method with 405 and unknown paths with 404", async () => {
      const get = await fetch(chatUrl);
      expect(get.status).toBe(405);
      expect(get.headers.get("allow")).toBe("POST");
      expect(await get.json()).toMatchObject({ error: { code: "method_not_allowed" } });
      const unknown = await fetch(`${stack.url}/v1/nothing-here`, { method: "POST" });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ error: { code: "not_found" } });
    });

    it("answers 413 from content-length, without reading the body", async () => {
      const big = JSON.stringify(chatBody({ padding: "x".repeat(BODY_LIMIT + 1) }));
      const response = await postJson(chatUrl, big);
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject(errorShape);
      expect(response.body.error.code).toBe("request_too_large");
    });

    it("answers 413 to a chunked body as soon as it passes the limit, not after buffering it", async () => {
      const chunk = 64 * 1024;
      const chunks = 1_000; // 64 MB: thirty-two times the limit
      let sent = 0;
      async function* endless() {
        for (let index = 0; index < chunks; index++) {
          sent += chunk;
          yield new Uint8Array(chunk).fill(32);
        }
      }
      const response = await request(chatUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: endless() as never,
      }).catch((error: unknown) => ({ error }));
      if ("error" in response) {
        // The server may close the socket while the client is still writing; the answer was 413 regardless.
        expect(String(response.error)).toMatch(/socket|closed|reset|EPIPE/i);
      } else {
        expect(response.statusCode).toBe(413);
        expect(((await response.body.json()) as { error: { code: string } }).error.code).toBe(
          "request_too_large",
        );
      }
      if (adapter.drainsOversizedBodies) {
        // body-parser reads an over-limit body off to its end (discarding it, not buffering it) before it
        // answers; the gateway's own limit stops reading at once. Documented; pinned here.
        expect(sent).toBe(chunks * chunk);
      } else {
        // Reading stopped near the limit: the client could not push the rest (kernel buffers aside).
        expect(sent).toBeLessThan(chunks * chunk);
      }
    });

    it("passes a 1 MB agent-style payload under the limit", async () => {
      const messages = Array.from({ length: 120 }, (_, index) => ({
        role: index % 2 === 0 ? "user" : "assistant",
        content: `step ${index} ${"tool output and context ".repeat(360)}`,
      }));
      const body = JSON.stringify({ model: "mock-1", messages });
      expect(body.length).toBeGreaterThan(1_000_000);
      expect(body.length).toBeLessThan(BODY_LIMIT);
      const response = await postJson(chatUrl, body);
      expect(response.status).toBe(200);
      expect(response.body.object).toBe("chat.completion");
      expect(stack.upstream.requests.at(-1)?.body).toMatchObject({ messages: { length: 120 } });
    });

    it("answers request headers over Node's maxHeaderSize with an OpenAI-shaped 431", async () => {
      const response = await request(`${stack.url}/v1/models`, {
        headers: { "x-huge": "h".repeat(20 * 1024) },
      });
      expect(response.statusCode).toBe(431);
      expect(await response.body.json()).toMatchObject(errorShape);
    });

    it("accepts the client's request id, returns it and passes it upstream; generates one otherwise", async () => {
      const given = await postJson(chatUrl, chatBody(), { "x-request-id": "trace-42.a:b" });
      expect(given.headers.get("x-request-id")).toBe("trace-42.a:b");
      expect(stack.upstream.requests.at(-1)?.headers["x-request-id"]).toBe("trace-42.a:b");
      const generated = await postJson(chatUrl, chatBody());
      const id = generated.headers.get("x-request-id");
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(stack.upstream.requests.at(-1)?.headers["x-request-id"]).toBe(id);
      const unsafe = await postJson(chatUrl, chatBody(), { "x-request-id": "bad id with spaces" });
      expect(unsafe.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("returns a request id on every kind of response: stream, error, health, models", async () => {
      const stream = await fetch(chatUrl, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "stream-1" },
        body: JSON.stringify(chatBody({ stream: true })),
      });
      await stream.text();
      expect(stream.headers.get("x-request-id")).toBe("stream-1");
      const invalid = await postJson(chatUrl, "{", { "x-request-id": "invalid-1" });
      expect(invalid.headers.get("x-request-id")).toBe("invalid-1");
      for (const path of ["/health", "/v1/models", "/nope"]) {
        const response = await fetch(`${stack.url}${path}`, { headers: { "x-request-id": "get-1" } });
        await response.arrayBuffer();
        expect(response.headers.get("x-request-id")).toBe("get-1");
      }
    });

    it("gives the gateway the socket peer's address as context.remoteAddress, whatever X-Forwarded-For says", async () => {
      const seen: Array<string | undefined> = [];
      const listener = (context: { remoteAddress: string | undefined }) => seen.push(context.remoteAddress);
      stack.gateway.events.on("request:start", listener);
      try {
        const response = await postJson(chatUrl, chatBody(), { "x-forwarded-for": "203.0.113.9" });
        expect(response.status).toBe(200);
      } finally {
        stack.gateway.events.off("request:start", listener);
      }
      // The client connects over IPv4 loopback; Node may report it IPv4-mapped on a dual-stack socket.
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    });

    it("sends no CORS headers and answers no preflight by default", async () => {
      const preflight = await fetch(chatUrl, {
        method: "OPTIONS",
        headers: { origin: "https://app.example.com", "access-control-request-method": "POST" },
      });
      expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
      expect(preflight.status).toBe(405);
      const response = await postJson(chatUrl, chatBody(), { origin: "https://app.example.com" });
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
    });

    it("keeps serving after all of the above", async () => {
      const response = await postJson(chatUrl, chatBody());
      expect(response.status).toBe(200);
      expect(response.body.object).toBe("chat.completion");
    });
  });

  describe("CORS, when configured", () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await start({
        listen: { cors: { origins: ["https://app.example.com"], credentials: true, maxAgeSeconds: 300 } },
      });
    });
    afterAll(() => stack.close());

    it("answers a preflight from an allowed origin, echoing the requested headers", async () => {
      const response = await fetch(`${stack.url}/v1/chat/completions`, {
        method: "OPTIONS",
        headers: {
          origin: "https://app.example.com",
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type, x-stainless-os",
          "x-request-id": "preflight-1",
        },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(response.headers.get("access-control-allow-credentials")).toBe("true");
      expect(response.headers.get("access-control-allow-methods")).toContain("POST");
      expect(response.headers.get("access-control-allow-headers")).toBe(
        "authorization, content-type, x-stainless-os",
      );
      expect(response.headers.get("access-control-max-age")).toBe("300");
      expect(response.headers.get("vary")).toContain("Origin");
      expect(response.headers.get("x-request-id")).toBe("preflight-1");
      expect(stack.upstream.stats.received).toBe(0);
    });

    it("gives a foreign origin no CORS headers, on preflights and on answers", async () => {
      const preflight = await fetch(`${stack.url}/v1/chat/completions`, {
        method: "OPTIONS",
        headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
      });
      expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
      const response = await postJson(`${stack.url}/v1/chat/completions`, chatBody(), {
        origin: "https://evil.example",
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(response.headers.get("vary")).toContain("Origin");
    });

    it("adds the origin, credentials and exposed headers to answers, errors and streams", async () => {
      const origin = { origin: "https://app.example.com" };
      const ok = await postJson(`${stack.url}/v1/chat/completions`, chatBody(), origin);
      const missing = await postJson(`${stack.url}/v1/chat/completions`, chatBody({ model: "none" }), origin);
      const stream = await fetch(`${stack.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", ...origin },
        body: JSON.stringify(chatBody({ stream: true })),
      });
      await stream.text();
      expect(missing.status).toBe(404);
      for (const headers of [ok.headers, missing.headers, stream.headers]) {
        expect(headers.get("access-control-allow-origin")).toBe("https://app.example.com");
        expect(headers.get("access-control-allow-credentials")).toBe("true");
        const exposed = headers.get("access-control-expose-headers") ?? "";
        for (const name of ["x-request-id", "retry-after", "x-ratelimit-remaining-requests"]) {
          expect(exposed).toContain(name);
        }
      }
    });

    it("refuses '*' together with credentials when the adapter is created", async () => {
      const { createGateway, silentLogger } = await import("@switchyard/core");
      const gateway = createGateway({ logger: silentLogger });
      await expect(
        adapter.start(gateway, {
          pathPrefix: PREFIX,
          graceMs: 100,
          bodyLimitBytes: BODY_LIMIT,
          cors: { origins: "*", credentials: true },
        }),
      ).rejects.toThrow(/credentials/);
      await gateway.close();
    });
  });

  describe("cancellation", () => {
    let stack: Stack | undefined;
    afterEach(async () => {
      await stack?.close();
      stack = undefined;
    });

    it("aborts the upstream request within 100 ms of the client's disconnect", async () => {
      stack = await start({ upstream: { tokensPerSecond: 20, replyTokens: 200 } });
      // Measured from the client's abort to the mock upstream seeing its connection close, both in this
      // process. The requirement is checked on the median of several runs; a single slow run (a busy
      // 2-core CI machine running other test files) may take longer, so each run only has a 1 s ceiling.
      const latencies: number[] = [];
      for (let run = 0; run < 7; run++) {
        const aborted = nextUpstreamAbort(stack);
        const controller = new AbortController();
        const { first } = await openStream(stack.url, { signal: controller.signal });
        expect(first).toContain("data: ");
        const abortedAt = performance.now();
        controller.abort();
        latencies.push((await aborted) - abortedAt);
      }
      latencies.sort((a, b) => a - b);
      const median = latencies[Math.floor(latencies.length / 2)] as number;
      expect(median).toBeLessThan(100);
      expect(latencies.at(-1)).toBeLessThan(1_000);
      expect(stack.upstream.stats.aborted).toBe(7);
      const gateway = stack.gateway;
      await expect.poll(() => gateway.inFlight).toBe(0);
    });

    it("leaves no socket, timer or listener behind after 1,000 aborted streams", async () => {
      // The gateway's upstream pool is the test's own, so what it keeps on purpose (idle keep-alive
      // connections, at most one per concurrent stream, for reuse) can be told apart from leaks.
      const upstreamPool = new Agent({ connections: 256 });
      stack = await start({
        upstream: { tokensPerSecond: 5, replyTokens: 60 },
        gateway: { transport: { dispatcher: upstreamPool } },
      });
      const { gateway, upstream } = stack;
      const server = stack.server.server;
      const baseline = activeResources();
      const signals: AbortSignal[] = [];
      gateway.events.on("request:start", (context) => signals.push(context.signal));
      const url = stack.url;
      const dispatcher = new Agent({ connections: 50 });
      for (let batch = 0; batch < 20; batch++) {
        await Promise.all(
          Array.from({ length: 50 }, async () => {
            const controller = new AbortController();
            await openStream(url, { signal: controller.signal, dispatcher });
            controller.abort();
          }),
        );
      }
      await dispatcher.close();

      await expect.poll(() => upstream.stats.inFlight, { timeout: 10_000 }).toBe(0);
      expect(upstream.stats.aborted).toBe(1_000);
      expect(upstream.stats.completed).toBe(0);
      await expect.poll(() => gateway.inFlight, { timeout: 10_000 }).toBe(0);
      await expect.poll(() => connections(server), { timeout: 10_000 }).toBe(0);
      expect(signals).toHaveLength(1_000);
      const withListeners = signals.filter((signal) => getEventListeners(signal, "abort").length > 0);
      expect(withListeners).toHaveLength(0);
      const pools = Object.values(upstreamPool.stats);
      for (const pool of pools) {
        expect(pool).toMatchObject({ running: 0, pending: 0, queued: 0 });
        expect(pool.connected).toBeLessThanOrEqual(50);
      }
      await upstreamPool.close();
      // With the pool closed, sockets and timers are back to where they were before the 1,000.
      await expect
        .poll(
          () => {
            const now = activeResources();
            return Object.keys(now).filter((type) => (now[type] ?? 0) > (baseline[type] ?? 0));
          },
          { timeout: 10_000 },
        )
        .toEqual([]);
    }, 120_000);
  });

  describe("backpressure", () => {
    let stack: Stack | undefined;
    afterEach(async () => {
      await stack?.close();
      stack = undefined;
    });

    it("a slow client holds the upstream back: the gateway does not buffer the stream", async () => {
      // An unpaced ~24 MB stream. Measured on loopback with the client paused, the upstream stalls after
      // writing 7-9 MB (socket buffers of both hops), so the whole stream cannot hide in them.
      stack = await start({ upstream: { replyTokens: 100_000 } });
      const { upstream, gateway } = stack;
      const { reader, first } = await openStream(stack.url);
      let received = first.length;
      // The client stops reading. Were the gateway to read on regardless, the upstream would finish
      // sending within a few hundred milliseconds; instead its writes block on a full socket.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(upstream.stats.completed).toBe(0);
      expect(upstream.stats.inFlight).toBe(1);
      expect(gateway.inFlight).toBe(1);
      // Reading again drains the rest, whole.
      let tail = "";
      for (let next = await reader.next(); !next.done; next = await reader.next()) {
        const text = Buffer.from(next.value as Buffer).toString();
        received += text.length;
        tail = (tail + text).slice(-64);
      }
      expect(tail).toContain("data: [DONE]");
      expect(received).toBeGreaterThan(20_000_000);
      await expect.poll(() => upstream.stats.completed).toBe(1);
    }, 60_000);
  });

  describe("graceful shutdown", () => {
    let stack: Stack | undefined;
    afterEach(async () => {
      await stack?.close();
      stack = undefined;
    });

    it("lets an in-flight stream finish, refuses new requests, then closes", async () => {
      stack = await start({ upstream: { tokensPerSecond: 50, replyTokens: 25 } });
      const { reader, first } = await openStream(stack.url);
      let text = first;
      const closing = stack.server.close();
      const duringDrain = await postJson(`${stack.url}/v1/chat/completions`, chatBody()).catch(() => ({
        status: 0,
      }));
      // A new connection is refused outright or, on a kept-alive one, answered 503.
      expect([0, 503]).toContain(duringDrain.status);
      for (let next = await reader.next(); !next.done; next = await reader.next())
        text += Buffer.from(next.value as Buffer).toString();
      await closing;
      expect(sseData(text).at(-1)).toBe("[DONE]");
      expect(stack.gateway.state).toBe("closed");
      expect(stack.upstream.stats.aborted).toBe(0);
    });

    it("aborts what is still running when the grace period ends", async () => {
      stack = await start({
        upstream: { tokensPerSecond: 5, replyTokens: 100 },
        listen: { graceMs: 100 },
      });
      const { reader, first } = await openStream(stack.url);
      let text = first;
      await stack.server.close();
      expect(stack.gateway.state).toBe("closed");
      const upstream = stack.upstream;
      await expect.poll(() => upstream.stats.aborted).toBe(1);
      // The stream ends without [DONE]: with an error event the SDKs raise, or cut.
      const outcome = await (async () => {
        for (let next = await reader.next(); !next.done; next = await reader.next())
          text += Buffer.from(next.value as Buffer).toString();
        return "ended";
      })().catch(() => "cut");
      const events = sseData(text);
      expect(events).not.toContain("[DONE]");
      if (outcome === "ended") expect(JSON.parse(events.at(-1) as string)).toMatchObject(errorShape);
    });
  });
});
