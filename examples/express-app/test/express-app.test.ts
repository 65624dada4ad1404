import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { silentLogger } from "@switchyard/core";
import { closeGracefully } from "@switchyard/http/node";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { APP_USER_HEADER, createAppGateway, type UsageBook } from "../src/app-gateway.js";
import { parseAppUsers } from "../src/app-users.js";
import { buildExample, type ExampleProcess, startExample } from "./example-process.js";

const users = parseAppUsers("alice:research:token-alice,bob:support:token-bob");

describe("express-app: the gateway under /llm, behind the app's sign-in", () => {
  let server: Server;
  let url: string;
  let usage: UsageBook;
  let close: () => Promise<void>;

  beforeEach(async () => {
    const built = createAppGateway({ logger: silentLogger });
    usage = built.usage;
    await built.gateway.start();
    server = createApp({ gateway: built.gateway, usage, users }).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => closeGracefully(server, built.gateway, { graceMs: 1_000 });
  });
  afterEach(() => close());

  it("serves the OpenAI SDK with the app's session token as its API key, streams included", async () => {
    const client = new OpenAI({ baseURL: `${url}/llm/v1`, apiKey: "token-alice", maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: "mock-1",
      messages: [{ role: "user", content: "Hello from the app." }],
    });
    expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
    const stream = await client.chat.completions.create({
      model: "mock-1",
      messages: [{ role: "user", content: "Hello from the app." }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe(completion.choices[0]?.message.content);
    const me = await fetch(`${url}/me/usage`, { headers: { authorization: "Bearer token-alice" } });
    expect(await me.json()).toMatchObject({ user: "alice", requests: 2 });
    expect(usage.get("alice")?.totalTokens).toBeGreaterThan(0);
  });

  it("refuses callers the app does not know, in the OpenAI error shape the SDK raises", async () => {
    const client = new OpenAI({ baseURL: `${url}/llm/v1`, apiKey: "not-a-session", maxRetries: 0 });
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    // A forged app header does not get a caller in either.
    const forged = await fetch(`${url}/llm/v1/models`, { headers: { [APP_USER_HEADER]: "alice/research" } });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: { code: "invalid_api_key" } });
  });

  it("keeps the app's own routes", async () => {
    const home = await fetch(`${url}/`);
    expect(await home.json()).toEqual({ app: "express-app", llm: "/llm/v1" });
  });
});

describe("express-app as a process (pnpm start)", () => {
  let example: ExampleProcess | undefined;
  beforeAll(() => buildExample(), 300_000);
  afterAll(() => {
    example?.child.kill("SIGKILL");
  });

  it("starts, answers through /llm, and stops cleanly on SIGTERM", async () => {
    example = startExample();
    const url = await example.url;
    const models = await fetch(`${url}/llm/v1/models`, {
      headers: { authorization: "Bearer demo-token-bob" },
    });
    expect(models.status).toBe(200);
    const chat = await fetch(`${url}/llm/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer demo-token-bob", "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "Hi" }] }),
    });
    expect(chat.status).toBe(200);
    expect(((await chat.json()) as { object: string }).object).toBe("chat.completion");
    const refused = await fetch(`${url}/llm/v1/models`);
    expect(refused.status).toBe(401);
    example.child.kill("SIGTERM");
    expect(await example.exited).toBe(0);
    expect(example.output()).toContain("express-app stopped");
  }, 30_000);
});
