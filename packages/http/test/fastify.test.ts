import { Writable } from "node:stream";
import { createGateway, type Gateway, silentLogger } from "@switchyard/core";
import { createMockUpstream, type MockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import Fastify, { type FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fastifySwitchyard } from "../src/fastify.js";
import { chatBody, postJson, sseData } from "./helpers.js";

// What only Fastify has: encapsulation, plugin metadata, hooks, its logger and error handling.
describe("the Fastify plugin inside an existing app", () => {
  let upstream: MockUpstream;
  let gateway: Gateway;
  let app: FastifyInstance | undefined;

  beforeEach(async () => {
    upstream = await createMockUpstream();
    gateway = createGateway({
      logger: silentLogger,
      providers: [createOpenAIProvider({ name: "up", baseURL: `${upstream.url}/v1`, models: ["mock-1"] })],
    });
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await gateway.close();
    await upstream.close();
  });

  it("carries fastify-plugin metadata and is encapsulated", () => {
    const meta = (fastifySwitchyard as unknown as Record<symbol, unknown>)[Symbol.for("plugin-meta")];
    expect(meta).toMatchObject({ name: "@switchyard/http/fastify", fastify: "5.x", encapsulate: true });
    expect((fastifySwitchyard as unknown as Record<symbol, unknown>)[Symbol.for("skip-override")]).toBe(
      false,
    );
  });

  it("keeps the app's JSON parser, error handler and 404 for the app's own routes", async () => {
    app = Fastify({ logger: false });
    app.post("/app/echo", async (request) => ({ echoed: request.body }));
    app.get("/app/boom", async () => {
      throw Object.assign(new Error("app failure"), { statusCode: 409 });
    });
    await app.register(fastifySwitchyard, { gateway, prefix: "/llm" });
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    const echo = await postJson(`${url}/app/echo`, { hello: "world" });
    expect(echo.body).toEqual({ echoed: { hello: "world" } });
    // Fastify's own error shape, not the gateway's, outside the plugin.
    const boom = await fetch(`${url}/app/boom`);
    expect(boom.status).toBe(409);
    expect(await boom.json()).toMatchObject({ statusCode: 409, message: "app failure" });
    const appMissing = await fetch(`${url}/app/missing`);
    expect(await appMissing.json()).toMatchObject({ statusCode: 404 });
    // ...and the gateway's shape inside it.
    const gatewayMissing = await fetch(`${url}/llm/v9/missing`);
    expect(await gatewayMissing.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it("starts the gateway when ready and drains it on close", async () => {
    app = Fastify({ logger: false });
    await app.register(fastifySwitchyard, { gateway, prefix: "/llm" });
    expect(gateway.state).toBe("created");
    await app.ready();
    expect(gateway.state).toBe("started");
    expect(app.hasRoute({ method: "POST", url: "/llm/v1/chat/completions" })).toBe(true);
    expect(app.hasRoute({ method: "GET", url: "/llm/health" })).toBe(true);
    await app.close();
    app = undefined;
    expect(gateway.state).toBe("closed");
  });

  it("satisfies other plugins' dependency on it", async () => {
    app = Fastify({ logger: false });
    await app.register(fastifySwitchyard, { gateway, prefix: "/llm" });
    const dependent = fp(async () => {}, {
      name: "needs-switchyard",
      dependencies: ["@switchyard/http/fastify"],
    });
    await expect(app.register(dependent)).resolves.toBeDefined();
  });

  it("runs behind the app's onRequest hook: its refusal gets the OpenAI shape, its headers go out", async () => {
    app = Fastify({ logger: false });
    app.addHook("onRequest", async (request, reply) => {
      reply.header("x-app", "seen");
      if (request.url.startsWith("/llm") && request.headers.authorization !== "Bearer app-session-1") {
        throw Object.assign(new Error("Sign in to the app first."), { statusCode: 401 });
      }
    });
    await app.register(fastifySwitchyard, { gateway, prefix: "/llm" });
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    const refused = await postJson(`${url}/llm/v1/chat/completions`, chatBody());
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject({
      code: "invalid_api_key",
      message: "Sign in to the app first.",
    });
    expect(refused.headers.get("x-request-id")).toMatch(/.+/);
    const auth = { authorization: "Bearer app-session-1" };
    const plain = await postJson(`${url}/llm/v1/chat/completions`, chatBody(), auth);
    expect(plain.status).toBe(200);
    expect(plain.headers.get("x-app")).toBe("seen");
    const stream = await postJson(`${url}/llm/v1/chat/completions`, chatBody({ stream: true }), auth);
    expect(sseData(stream.body as string).at(-1)).toBe("[DONE]");
    expect(stream.headers.get("x-app")).toBe("seen");
  });

  it("logs through Fastify's logger, streams included", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    app = Fastify({ logger: { level: "info", stream } });
    await app.register(fastifySwitchyard, { gateway, prefix: "/llm" });
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    await postJson(`${url}/llm/v1/chat/completions`, chatBody({ stream: true }));
    await postJson(`${url}/llm/v1/chat/completions`, "{not json");
    await expect.poll(() => lines.filter((line) => line.msg === "request completed").length).toBe(2);
    const completed = lines.filter((line) => line.msg === "request completed");
    expect(completed.map((line) => (line.res as { statusCode: number }).statusCode)).toEqual([200, 400]);
  });

  it("refuses a missing gateway and '*' with credentials at registration", async () => {
    app = Fastify({ logger: false });
    await expect(app.register(fastifySwitchyard, {} as never)).rejects.toThrow(/gateway/);
    app = Fastify({ logger: false });
    await expect(
      app.register(fastifySwitchyard, { gateway, cors: { origins: "*", credentials: true } }),
    ).rejects.toThrow(/credentials/);
  });
});
