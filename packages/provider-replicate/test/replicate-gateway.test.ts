import { createGateway, silentLogger } from "@switchyard/core";
import { listen, type NodeGatewayServer } from "@switchyard/http/node";
import { createScriptedUpstream, type ScriptedUpstream, type WireRequest } from "@switchyard/testing";
import OpenAI from "openai";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createReplicateProvider } from "../src/replicate-provider.js";
import { fixture, json, replicateRouter, routeOf, sseEvents, stream } from "./replicate-upstream.js";

const MODEL = "meta/meta-llama-3-70b-instruct";
const TEXT = "The night train leaves Oslo at 23:05.\n\nIt reaches Trondheim at dawn.";
const ID = "k7zq3ygbx5rm40cgfwnr2hjz1m";

describe("Replicate through a real gateway, with the openai SDK", () => {
  let upstream: ScriptedUpstream;
  let server: NodeGatewayServer;
  let client: OpenAI;
  let created: Record<string, unknown>;
  let succeeded: Record<string, unknown>;

  beforeAll(async () => {
    upstream = await createScriptedUpstream();
    const gateway = createGateway({
      logger: silentLogger,
      retry: false,
      providers: [
        createReplicateProvider({
          baseURL: `${upstream.url}/v1`,
          apiToken: "r8_gateway",
          pollIntervalMs: 5,
          maxPollIntervalMs: 20,
        }),
        createReplicateProvider({
          name: "impatient",
          baseURL: `${upstream.url}/v1`,
          apiToken: "r8_gateway",
          waitSeconds: 0,
          pollIntervalMs: 20,
          pollTimeoutMs: 150,
        }),
      ],
    });
    server = await listen(gateway, { port: 0, graceMs: 1_000 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "x", maxRetries: 0 });
    created = JSON.parse(fixture("prediction-created.json", upstream.url));
    succeeded = JSON.parse(fixture("prediction-succeeded.json", upstream.url));
  });
  afterAll(async () => {
    await server?.close();
    await upstream?.close();
  });

  const ask = {
    model: MODEL,
    messages: [{ role: "user" as const, content: "When does the night train leave?" }],
  };
  const requestsTo = (route: ReturnType<typeof routeOf>) =>
    upstream.requests.filter((wire) => routeOf(wire) === route);
  const cancels = () => requestsTo("cancel").length;

  it("answers from sync mode, with usage from metrics and the prediction id as upstream request id", async () => {
    upstream.answer(replicateRouter({ create: () => json(201, succeeded) }));
    const { data, response } = await client.chat.completions.create(ask).withResponse();
    expect(data.choices[0]?.message.content).toBe(TEXT);
    expect(data.choices[0]?.finish_reason).toBe("stop");
    expect(data.usage).toMatchObject({ prompt_tokens: 38, completion_tokens: 17, total_tokens: 55 });
    expect(response.headers.get("x-upstream-request-id")).toBe(ID);
    const sent = upstream.requests.at(-1) as WireRequest;
    expect(sent.url).toBe(`/v1/models/${MODEL}/predictions`);
    expect(sent.headers).toMatchObject({ authorization: "Bearer r8_gateway", prefer: "wait=60" });
    expect(sent.body).toEqual({ input: { prompt: "When does the night train leave?" } });
  });

  it("polls urls.get with backoff when sync mode returns an unfinished prediction", async () => {
    const before = requestsTo("get").length;
    upstream.answer(
      replicateRouter({
        create: () => json(201, { ...created, status: "processing" }),
        get: (_wire, count) => json(200, count < 3 ? { ...created, status: "processing" } : succeeded),
      }),
    );
    const completion = await client.chat.completions.create(ask);
    expect(completion.choices[0]?.message.content).toBe(TEXT);
    expect(requestsTo("get").length - before).toBe(3);
    expect(requestsTo("get").at(-1)?.headers.authorization).toBe("Bearer r8_gateway");
  });

  it("streams a recorded prediction split at odd byte boundaries, usage read after done", async () => {
    const recorded = fixture("prediction-stream.sse");
    const pieces: string[] = [];
    for (let at = 0; at < recorded.length; at += 23) pieces.push(recorded.slice(at, at + 23));
    upstream.answer(
      replicateRouter({
        create: () => json(201, created),
        stream: () => stream(pieces),
        get: () => json(200, succeeded),
      }),
    );
    const chunks = [];
    const sdkStream = await client.chat.completions.create({
      ...ask,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of sdkStream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe(TEXT);
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(["stop"]);
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 38, completion_tokens: 17 });
    const streamed = requestsTo("stream").at(-1);
    expect(streamed?.headers).toMatchObject({ accept: "text/event-stream", "cache-control": "no-store" });
    expect(requestsTo("create").at(-1)?.headers.prefer).toBeUndefined();
  });

  it("fails a prediction that failed while polled with Replicate's error text", async () => {
    upstream.answer(
      replicateRouter({
        create: () => json(201, { ...created, status: "starting" }),
        get: () => json(200, JSON.parse(fixture("prediction-failed.json", upstream.url))),
      }),
    );
    const failure = await client.chat.completions.create(ask).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure).toMatchObject({ status: 502, code: "upstream_error" });
    expect((failure as Error).message).toContain("CUDA error: out of memory");
  });

  it("cancels a prediction that outlives the poll timeout and answers 504", async () => {
    const before = cancels();
    upstream.answer(
      replicateRouter({
        create: () => json(201, created),
        get: () => json(200, { ...created, status: "processing" }),
        cancel: () => json(200, { ...created, status: "canceled" }),
      }),
    );
    const response = await request(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...ask, model: `impatient/${MODEL}` }),
    });
    expect(response.statusCode).toBe(504);
    expect(JSON.parse(await response.body.text()).error).toMatchObject({ code: "upstream_total_timeout" });
    expect(requestsTo("create").at(-1)?.headers.prefer).toBeUndefined();
    await vi.waitFor(() => expect(cancels()).toBe(before + 1));
    expect(requestsTo("cancel").at(-1)?.url).toBe(`/v1/predictions/${ID}/cancel`);
  });

  it("cancels the prediction when the client leaves while it is polled", async () => {
    const before = cancels();
    const polled = requestsTo("get").length;
    upstream.answer(
      replicateRouter({
        create: () => json(201, created),
        get: () => json(200, { ...created, status: "processing" }),
        cancel: () => json(200, { ...created, status: "canceled" }),
      }),
    );
    const controller = new AbortController();
    const pending = request(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ask),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await vi.waitFor(() => expect(requestsTo("get").length).toBeGreaterThan(polled));
    controller.abort();
    await pending;
    await vi.waitFor(() => expect(cancels()).toBe(before + 1));
  });

  it("ends a stream with the prediction's error event as an SDK error", async () => {
    upstream.answer(
      replicateRouter({
        create: () => json(201, created),
        stream: () => stream(sseEvents(fixture("prediction-stream-error.sse"))),
      }),
    );
    const sdkStream = await client.chat.completions.create({ ...ask, stream: true });
    let text = "";
    const failure = await (async () => {
      for await (const chunk of sdkStream) text += chunk.choices[0]?.delta.content ?? "";
    })().catch((error: unknown) => error);
    expect(text).toBe("The night");
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as Error).message).toContain("Prediction failed: CUDA error: out of memory");
  });

  it("streams a model that has no stream URL as one piece, after polling", async () => {
    const { stream: _none, ...urls } = created.urls as Record<string, string>;
    upstream.answer(
      replicateRouter({
        create: () => json(201, { ...created, urls }),
        get: () => json(200, { ...succeeded, urls }),
      }),
    );
    const chunks = [];
    for await (const chunk of await client.chat.completions.create({
      ...ask,
      stream: true,
      stream_options: { include_usage: true },
    })) {
      chunks.push(chunk);
    }
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe(TEXT);
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 38, completion_tokens: 17 });
  });

  it("answers a failed prediction of a model without stream URL with an HTTP error, not a stream", async () => {
    const { stream: _none, ...urls } = created.urls as Record<string, string>;
    upstream.answer(
      replicateRouter({
        create: () => json(201, { ...created, urls }),
        get: () => json(200, { ...JSON.parse(fixture("prediction-failed.json", upstream.url)), urls }),
      }),
    );
    const response = await request(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...ask, stream: true }),
    });
    expect(response.statusCode).toBe(502);
    expect(JSON.parse(await response.body.text()).error.message).toContain("CUDA error: out of memory");
  });

  it("posts a model version to /v1/predictions", async () => {
    const version = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa";
    upstream.answer(replicateRouter({ create: () => json(201, succeeded) }));
    const completion = await client.chat.completions.create({
      ...ask,
      model: `replicate/acme/chat-7b:${version}`,
    });
    expect(completion.choices[0]?.message.content).toBe(TEXT);
    const sent = upstream.requests.at(-1) as WireRequest;
    expect(sent.url).toBe("/v1/predictions");
    expect(sent.body).toMatchObject({ version, input: { prompt: "When does the night train leave?" } });
  });

  it("keeps a 422's validation message", async () => {
    upstream.answer(replicateRouter({ create: () => json(422, fixture("error-validation.json")) }));
    const failure = await client.chat.completions
      .create({ ...ask, temperature: 2 })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect((failure as Error).message).toContain("Input validation failed: - input.temperature");
  });

  it("refuses tools through the SDK with 400 operation_not_supported", async () => {
    const before = upstream.requests.length;
    const failure = await client.chat.completions
      .create({ ...ask, tools: [{ type: "function", function: { name: "find_train" } }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect(failure).toMatchObject({ status: 400, code: "operation_not_supported", param: "tools" });
    expect(upstream.requests.length).toBe(before);
  });

  it("answers a create that is not JSON with 502 upstream_invalid_response", async () => {
    upstream.answer(
      replicateRouter({ create: () => ({ json: { status: 201, body: "<html>oops</html>" } }) }),
    );
    const response = await request(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ask),
    });
    expect(response.statusCode).toBe(502);
    expect(JSON.parse(await response.body.text()).error).toMatchObject({ code: "upstream_invalid_response" });
  });

  it("cancels the prediction when its stream URL answers with an error", async () => {
    const before = cancels();
    upstream.answer(
      replicateRouter({
        create: () => json(201, created),
        stream: () => json(500, { detail: "stream unavailable" }),
        cancel: () => json(200, { ...created, status: "canceled" }),
      }),
    );
    const response = await request(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...ask, stream: true }),
    });
    expect(response.statusCode).toBe(502);
    expect(JSON.parse(await response.body.text()).error.message).toContain("stream unavailable");
    await vi.waitFor(() => expect(cancels()).toBe(before + 1));
  });
});
