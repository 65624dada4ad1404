import type { FastifyInstance } from "fastify";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.js";
import { APP_USER_HEADER } from "../src/app-gateway.js";
import { parseAppUsers } from "../src/app-users.js";
import { buildExample, type ExampleProcess, startExample } from "./example-process.js";

const users = parseAppUsers("alice:research:token-alice,bob:support:token-bob");

describe("fastify-app: the gateway under /llm, behind the app's sign-in hook", () => {
  let app: FastifyInstance;
  let url: string;

  beforeEach(async () => {
    app = await buildApp({ users, logger: false });
    url = await app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterEach(() => app.close());

  it("serves the OpenAI SDK with the app's session token as its API key, streams included", async () => {
    const client = new OpenAI({ baseURL: `${url}/llm/v1`, apiKey: "token-bob", maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: "mock-1",
      messages: [{ role: "user", content: "Hello from the app." }],
    });
    const stream = await client.chat.completions.create({
      model: "mock-1",
      messages: [{ role: "user", content: "Hello from the app." }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text.length).toBeGreaterThan(0);
    expect(text).toBe(completion.choices[0]?.message.content);
  });

  it("refuses callers the app does not know, in the OpenAI error shape the SDK raises", async () => {
    const client = new OpenAI({ baseURL: `${url}/llm/v1`, apiKey: "not-a-session", maxRetries: 0 });
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const forged = await fetch(`${url}/llm/v1/models`, { headers: { [APP_USER_HEADER]: "alice/research" } });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: { code: "invalid_api_key" } });
  });

  it("keeps the app's own routes", async () => {
    const home = await fetch(`${url}/`);
    expect(await home.json()).toEqual({ app: "fastify-app", llm: "/llm/v1" });
  });
});

describe("fastify-app as a process (pnpm start)", () => {
  let example: ExampleProcess | undefined;
  beforeAll(() => buildExample(), 300_000);
  afterAll(() => {
    example?.child.kill("SIGKILL");
  });

  it("starts, answers through /llm, logs with Fastify's logger, and stops cleanly on SIGTERM", async () => {
    example = startExample();
    const url = await example.url;
    const headers = { authorization: "Bearer demo-token-alice", "content-type": "application/json" };
    const models = await fetch(`${url}/llm/v1/models`, { headers });
    expect(models.status).toBe(200);
    const chat = await fetch(`${url}/llm/v1/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "Hi" }], stream: true }),
    });
    expect(chat.status).toBe(200);
    expect(await chat.text()).toContain("data: [DONE]");
    example.child.kill("SIGTERM");
    expect(await example.exited).toBe(0);
    const output = example.output();
    expect(output).toContain("fastify-app stopped");
    expect(output).toMatch(/"msg":"request completed"/);
  }, 30_000);
});
