import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createGateway, type Gateway, SwitchyardError, silentLogger } from "@switchyard/core";
import { createMockUpstream, type MockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import express, { type Express } from "express";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createExpressMiddleware } from "../src/express.js";
import { closeGracefully } from "../src/node.js";
import { chatBody, postJson, sseData } from "./helpers.js";

// What only Express has: the app's own middleware and body parser around the gateway.
describe("the Express adapter inside an existing app", () => {
  let upstream: MockUpstream;
  let gateway: Gateway;
  let server: Server | undefined;

  beforeEach(async () => {
    upstream = await createMockUpstream();
    gateway = createGateway({
      logger: silentLogger,
      providers: [createOpenAIProvider({ name: "up", baseURL: `${upstream.url}/v1`, models: ["mock-1"] })],
    });
  });
  afterEach(async () => {
    if (server) await closeGracefully(server, gateway, { graceMs: 1_000 });
    else await gateway.close();
    server = undefined;
    await upstream.close();
  });

  async function serve(app: Express): Promise<string> {
    server = createServer(app);
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("leaves the app's own routes and JSON body parser alone", async () => {
    const app = express();
    app.use(express.json());
    app.post("/app/echo", (request, response) => {
      response.json({ echoed: request.body });
    });
    app.use("/llm", createExpressMiddleware(gateway));
    const url = await serve(app);
    const echo = await postJson(`${url}/app/echo`, { hello: "world" });
    expect(echo.body).toEqual({ echoed: { hello: "world" } });
    const chat = await postJson(`${url}/llm/v1/chat/completions`, chatBody());
    expect(chat.status).toBe(200);
    expect(chat.body.object).toBe("chat.completion");
  });

  it("runs behind the app's authentication, whose refusals get the OpenAI error shape", async () => {
    const app = express();
    const requireUser: express.RequestHandler = (request, _response, next) => {
      if (request.headers.authorization === "Bearer app-session-1") next();
      else next(Object.assign(new Error("Sign in to the app first."), { status: 401, expose: true }));
    };
    app.use("/llm", requireUser, createExpressMiddleware(gateway));
    const url = await serve(app);
    const refused = await postJson(`${url}/llm/v1/chat/completions`, chatBody(), { "x-request-id": "r-401" });
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({
      error: {
        message: "Sign in to the app first.",
        type: "authentication_error",
        param: null,
        code: "invalid_api_key",
      },
    });
    expect(refused.headers.get("x-request-id")).toBe("r-401");
    expect(upstream.stats.received).toBe(0);
    const allowed = await postJson(`${url}/llm/v1/chat/completions`, chatBody(), {
      authorization: "Bearer app-session-1",
    });
    expect(allowed.status).toBe(200);
  });

  it("sends a SwitchyardError thrown by the app's middleware as it is", async () => {
    const app = express();
    app.use("/llm", () => {
      throw new SwitchyardError("SWY_ERR_RATE_LIMITED", "The app's own limit.", { retryAfterMs: 3_000 });
    });
    app.use("/llm", createExpressMiddleware(gateway));
    const url = await serve(app);
    const response = await postJson(`${url}/llm/v1/chat/completions`, chatBody());
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("3");
    expect(response.body.error).toMatchObject({
      code: "rate_limit_exceeded",
      message: "The app's own limit.",
    });
  });

  it("answers express.json()'s own 413 (its limit below the gateway's) in the OpenAI shape", async () => {
    const app = express();
    app.use(express.json({ limit: "1kb" }));
    app.use("/llm", createExpressMiddleware(gateway));
    const url = await serve(app);
    const response = await postJson(
      `${url}/llm/v1/chat/completions`,
      chatBody({ padding: "x".repeat(4_096) }),
    );
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe("request_too_large");
  });

  it("uses a body express.json() parsed, and a raw body a text parser read", async () => {
    const app = express();
    app.use("/parsed", express.json(), createExpressMiddleware(gateway));
    app.use("/text", express.text({ type: "application/json" }), createExpressMiddleware(gateway));
    const url = await serve(app);
    for (const mount of ["/parsed", "/text"]) {
      const response = await postJson(`${url}${mount}/v1/chat/completions`, chatBody({ stream: true }));
      expect(response.status).toBe(200);
      expect(sseData(response.body as string).at(-1)).toBe("[DONE]");
    }
  });

  it("mounts under a nested router, at any depth", async () => {
    const app = express();
    const api = express.Router();
    api.use("/llm", createExpressMiddleware(gateway));
    app.use("/api/v2", api);
    const url = await serve(app);
    const models = await fetch(`${url}/api/v2/llm/v1/models`);
    expect(models.status).toBe(200);
    expect(((await models.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
    const unknown = await fetch(`${url}/api/v2/llm/v9/unknown`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "not_found" } });
  });
});
