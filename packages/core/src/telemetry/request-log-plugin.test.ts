import { createMockUpstream, type MockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKeyAuthPlugin } from "../api-key-auth-plugin.js";
import { createGateway, type Gateway, type GatewayOptions } from "../gateway.js";
import type { Logger } from "../logger.js";
import { createRequestLogPlugin } from "./request-log-plugin.js";

const CLIENT_KEY = "sk-client-7f3a9c2e5b8d1f4a6c0e9b2d";
const UPSTREAM_KEY = "sk-upstream-1d4f7a0c3e6b9d2f5a8c";
const LEAKED_KEY = "sk-live-9e8d7c6b5a4f3e2d1c0b";

interface Entry {
  level: string;
  object: Record<string, unknown>;
  message: string | undefined;
}

function capture(): { logger: Logger; entries: Entry[] } {
  const entries: Entry[] = [];
  const at =
    (level: string) =>
    (object: Record<string, unknown>, message?: string): void => {
      entries.push({ level, object, message });
    };
  return { logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, entries };
}

let upstream: MockUpstream;
const gateways: Gateway[] = [];

beforeAll(async () => {
  upstream = await createMockUpstream({ apiKey: UPSTREAM_KEY });
});

afterAll(async () => {
  for (const gateway of gateways) await gateway.close({ graceMs: 0 });
  await upstream.close();
});

function gatewayWith(logger: Logger, options: GatewayOptions = {}): Gateway {
  const gateway = createGateway({
    logger,
    retry: false,
    plugins: [createApiKeyAuthPlugin({ keys: [{ id: "team-a", key: CLIENT_KEY }] })],
    ...options,
    providers: [
      createOpenAIProvider({
        name: "up",
        baseURL: `${upstream.url}/v1`,
        apiKey: UPSTREAM_KEY,
        models: [{ id: "mock-1", price: { inputPerMillion: 1, outputPerMillion: 4 } }],
      }),
    ],
  });
  gateways.push(gateway);
  return gateway;
}

async function send(gateway: Gateway, body: Record<string, unknown> = {}) {
  const response = await gateway.handle({
    method: "POST",
    path: "/v1/chat/completions",
    headers: { "content-type": "application/json", authorization: `Bearer ${CLIENT_KEY}` },
    body: JSON.stringify({
      model: "mock-1",
      messages: [{ role: "user", content: "The secret word is swordfish." }],
      ...body,
    }),
    signal: new AbortController().signal,
  });
  let text = "";
  if (typeof response.body === "string") text = response.body;
  else if (response.body && Symbol.asyncIterator in response.body)
    for await (const chunk of response.body) text += Buffer.from(chunk).toString();
  return { status: response.status, text };
}

const requestLines = (entries: Entry[]) => entries.filter((entry) => entry.message === "request");

describe("the request log", () => {
  it("writes one line per request with the facts an operator needs, at info", async () => {
    const { logger, entries } = capture();
    const gateway = gatewayWith(logger);
    const { status, text } = await send(gateway);
    expect(status).toBe(200);
    const usage = JSON.parse(text).usage;
    const lines = requestLines(entries);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe("info");
    expect(lines[0]?.object).toMatchObject({
      operation: "chat",
      model: "mock-1",
      stream: false,
      provider: "up",
      providerModel: "mock-1",
      status: 200,
      attempts: 1,
      principal: "team-a",
      inputTokens: usage.prompt_tokens,
      outputTokens: usage.completion_tokens,
      cost: (usage.prompt_tokens * 1 + usage.completion_tokens * 4) / 1_000_000,
    });
    expect(lines[0]?.object.requestId).toMatch(/^[\w.:-]+$/);
    expect(lines[0]?.object.durationMs).toBeGreaterThan(0);
    expect(lines[0]?.object).not.toHaveProperty("errorCode");
  });

  it("logs streams with their time to first token", async () => {
    const { logger, entries } = capture();
    const gateway = gatewayWith(logger);
    expect((await send(gateway, { stream: true })).status).toBe(200);
    await expect.poll(() => requestLines(entries).length).toBe(1);
    const line = requestLines(entries)[0]?.object;
    expect(line).toMatchObject({ stream: true, status: 200 });
    expect(line?.ttftMs).toBeGreaterThan(0);
    expect(line?.outputTokens).toBeGreaterThan(0);
  });

  it("never writes keys, headers, prompts, or secrets quoted in an upstream error", async () => {
    const { logger, entries } = capture();
    const gateway = gatewayWith(logger);
    upstream.enqueueFault({
      kind: "status",
      status: 500,
      body: {
        error: {
          message: `Upstream broke while using key ${LEAKED_KEY} (Authorization: Bearer ${UPSTREAM_KEY}).`,
          type: "server_error",
          code: null,
        },
      },
    });
    const { status } = await send(gateway);
    expect(status).toBe(502);
    const lines = requestLines(entries);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe("warn");
    expect(lines[0]?.object).toMatchObject({
      status: 502,
      errorCode: "SWY_ERR_UPSTREAM_SERVER",
      attempts: 1,
    });
    expect(lines[0]?.object.errorMessage).toContain("[redacted]");
    const everything = JSON.stringify(entries);
    for (const secret of [CLIENT_KEY, UPSTREAM_KEY, LEAKED_KEY, "swordfish", "authorization"])
      expect(everything).not.toContain(secret);
  });

  it("is off with requestLog: false, and installable alone with telemetry: false", async () => {
    const quiet = capture();
    await send(gatewayWith(quiet.logger, { telemetry: { requestLog: false } }));
    expect(requestLines(quiet.entries)).toEqual([]);

    const alone = capture();
    await send(
      gatewayWith(alone.logger, { telemetry: false, plugins: [createRequestLogPlugin({ level: "debug" })] }),
    );
    expect(requestLines(alone.entries).map((entry) => entry.level)).toEqual(["debug"]);
  });
});
