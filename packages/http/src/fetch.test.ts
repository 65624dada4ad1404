import type { Gateway, GatewayHttpRequest, GatewayHttpResponse } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { createFetchHandler } from "./fetch.js";

const encoder = new TextEncoder();

/** A stand-in gateway: records what it was handed and answers with `answer`. */
function fakeGateway(
  answer: (request: GatewayHttpRequest) => Promise<GatewayHttpResponse> | GatewayHttpResponse,
) {
  const seen: GatewayHttpRequest[] = [];
  const gateway = {
    async handle(request: GatewayHttpRequest) {
      seen.push(request);
      return answer(request);
    },
  } as unknown as Gateway;
  return { gateway, seen };
}

/** A gateway body that counts pulls and records whether it was ended early. */
function countingBody(chunks: number) {
  const state = { pulled: 0, returned: false, finished: false };
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      for (let index = 0; index < chunks; index++) {
        state.pulled++;
        yield encoder.encode(`data: ${index}\n\n`);
      }
      state.finished = true;
    } finally {
      if (!state.finished) state.returned = true;
    }
  }
  return { state, body: body() };
}

describe("createFetchHandler", () => {
  it("hands the gateway the path below the prefix, lower-cased joined headers, the body and the signal", async () => {
    const { gateway, seen } = fakeGateway(() => ({
      status: 200,
      headers: { "x-request-id": "r1" },
      body: "{}",
    }));
    const handler = createFetchHandler(gateway, { pathPrefix: "/llm/" });
    const controller = new AbortController();
    const headers = new Headers({ "Content-Type": "application/json" });
    headers.append("X-Tag", "a");
    headers.append("X-Tag", "b");
    const response = await handler(
      new Request("http://gw.example/llm/v1/chat/completions?trace=1", {
        method: "POST",
        headers,
        body: '{"model":"m"}',
        signal: controller.signal,
      }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("r1");
    const request = seen[0] as GatewayHttpRequest;
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/v1/chat/completions?trace=1");
    expect(request.headers).toMatchObject({ "content-type": "application/json", "x-tag": "a, b" });
    let text = "";
    for await (const chunk of request.body as AsyncIterable<Uint8Array>)
      text += new TextDecoder().decode(chunk);
    expect(text).toBe('{"model":"m"}');
    controller.abort();
    expect(request.signal.aborted).toBe(true);
  });

  it("passes no body for a GET, and a string or bytes answer as is", async () => {
    const { gateway, seen } = fakeGateway(
      (request): GatewayHttpResponse =>
        request.path === "/bytes"
          ? { status: 201, headers: {}, body: encoder.encode("raw") }
          : { status: 200, headers: { "content-type": "application/json" }, body: '{"ok":true}' },
    );
    const handler = createFetchHandler(gateway);
    const json = await handler(new Request("http://gw.example/health"));
    expect(seen[0]?.body).toBeUndefined();
    expect(await json.json()).toEqual({ ok: true });
    const bytes = await handler(new Request("http://gw.example/bytes"));
    expect(bytes.status).toBe(201);
    expect(await bytes.text()).toBe("raw");
  });

  it("leaves the request stream uncancelled when the gateway stops reading early (a 413)", async () => {
    let cancelled = false;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(1024));
      },
      cancel() {
        cancelled = true;
      },
    });
    const { gateway } = fakeGateway(async (request) => {
      for await (const _chunk of request.body as AsyncIterable<Uint8Array>) break;
      return { status: 413, headers: {}, body: "{}" };
    });
    const request = new Request("http://gw.example/v1/chat/completions", {
      method: "POST",
      body: source,
      duplex: "half",
    } as RequestInit);
    const response = await createFetchHandler(gateway)(request);
    expect(response.status).toBe(413);
    expect(cancelled).toBe(false);
    expect(request.body?.locked).toBe(false);
  });

  it("streams with pull-based backpressure: nothing is read ahead of the consumer", async () => {
    const { state, body } = countingBody(100);
    const { gateway } = fakeGateway(() => ({ status: 200, headers: {}, body }));
    const response = await createFetchHandler(gateway)(new Request("http://gw.example/v1/chat/completions"));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(state.pulled).toBe(0);
    for (let read = 1; read <= 3; read++) {
      await reader.read();
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(state.pulled).toBe(read);
    }
    await reader.cancel();
    expect(state.returned).toBe(true);
  });

  it("reads a stream to its end", async () => {
    const { state, body } = countingBody(5);
    const { gateway } = fakeGateway(() => ({ status: 200, headers: {}, body }));
    const response = await createFetchHandler(gateway)(new Request("http://gw.example/v1/chat/completions"));
    expect(await response.text()).toBe("data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n");
    expect(state).toMatchObject({ pulled: 5, finished: true, returned: false });
  });

  it("ends the gateway's stream when the request aborts, even if the host never cancels the response", async () => {
    const { state, body } = countingBody(100);
    const { gateway } = fakeGateway(() => ({ status: 200, headers: {}, body }));
    const controller = new AbortController();
    const response = await createFetchHandler(gateway)(
      new Request("http://gw.example/v1/chat/completions", { signal: controller.signal }),
    );
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    await expect.poll(() => state.returned).toBe(true);
    expect(state.pulled).toBe(1);
  });

  it("answers a CORS preflight itself and adds CORS headers to answers", async () => {
    const { gateway, seen } = fakeGateway(() => ({ status: 200, headers: {}, body: "{}" }));
    const handler = createFetchHandler(gateway, { cors: { origins: ["https://app.example.com"] } });
    const preflight = await handler(
      new Request("http://gw.example/v1/chat/completions", {
        method: "OPTIONS",
        headers: { origin: "https://app.example.com", "access-control-request-method": "POST" },
      }),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(seen).toHaveLength(0);
    const answer = await handler(
      new Request("http://gw.example/v1/models", { headers: { origin: "https://app.example.com" } }),
    );
    expect(answer.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(answer.headers.get("access-control-expose-headers")).toContain("x-request-id");
  });

  it("refuses '*' with credentials when created", () => {
    const { gateway } = fakeGateway(() => ({ status: 200, headers: {}, body: null }));
    expect(() => createFetchHandler(gateway, { cors: { origins: "*", credentials: true } })).toThrow(
      /credentials/,
    );
  });
});
