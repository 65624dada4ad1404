import { once } from "node:events";
import { connect as connectTcp, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { connect as connectTls } from "node:tls";
import { createGateway, silentLogger } from "@switchyard/core";
import { createMockUpstream, type MockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { Agent, request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { type ListenOptions, listen, type NodeGatewayServer } from "../src/node.js";
import { chatBody } from "./helpers.js";
import { createTestCertificate } from "./tls-certificates.js";

// The node:http server's own defences, which no gateway hook can provide: slow clients cut by the header
// timeout, a cap on connections, and TLS whose certificate can be replaced while connections stay open.

let upstream: MockUpstream | undefined;
let running: NodeGatewayServer | undefined;
const agents: Agent[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
  await running?.close();
  await upstream?.close();
  running = undefined;
  upstream = undefined;
});

async function start(options: ListenOptions, upstreamOptions: { tokensPerSecond?: number } = {}) {
  upstream = await createMockUpstream({ apiKey: "sk-upstream", ...upstreamOptions });
  const gateway = createGateway({
    logger: silentLogger,
    providers: [
      createOpenAIProvider({
        name: "up",
        baseURL: `${upstream.url}/v1`,
        apiKey: "sk-upstream",
        models: ["mock-1"],
      }),
    ],
  });
  running = await listen(gateway, { port: 0, graceMs: 2_000, ...options });
  return running;
}

function openSocket(port: number): Socket {
  const socket = connectTcp(port, "127.0.0.1");
  sockets.push(socket);
  return socket;
}

async function chat(url: string, dispatcher?: Agent) {
  const response = await request(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(chatBody()),
    ...(dispatcher ? { dispatcher } : {}),
  });
  return { status: response.statusCode, body: (await response.body.json()) as { object?: string } };
}

describe("listen: slow clients", () => {
  it("cuts a client that sends its headers slower than headersTimeoutMs with 408, and keeps serving others", async () => {
    const server = await start({ headersTimeoutMs: 1_000, requestTimeoutMs: 5_000 });
    const head =
      "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n" +
      `x-padding: ${"a".repeat(60)}\r\ncontent-length: 2\r\n\r\n`;
    const socket = openSocket(server.port);
    await once(socket, "connect");
    let received = "";
    let closed = false;
    socket.setEncoding("utf8").on("data", (text: string) => {
      received += text;
    });
    socket.on("close", () => {
      closed = true;
    });
    socket.on("error", () => {});

    // One byte every 100 ms: the whole head would take about 17 s; the server must cut it long before.
    let sent = 0;
    let servedMeanwhile: number | undefined;
    while (!closed && sent < head.length) {
      socket.write(head.charAt(sent));
      sent++;
      if (sent === 5) servedMeanwhile = (await chat(server.url)).status;
      await sleep(100);
    }

    expect(closed).toBe(true);
    expect(sent).toBeLessThan(head.length);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(received).toContain('"type":"invalid_request_error"');
    expect(servedMeanwhile).toBe(200);
    expect((await chat(server.url)).status).toBe(200);
  }, 30_000);
});

describe("listen: maxConnections", () => {
  it("closes connections beyond the cap at once (a 'drop' event), and accepts again when one closes", async () => {
    const server = await start({ maxConnections: 2 });
    const drops: unknown[] = [];
    server.server.on("drop", (data) => drops.push(data));
    const first = openSocket(server.port);
    const second = openSocket(server.port);
    await Promise.all([once(first, "connect"), once(second, "connect")]);
    await expect.poll(() => connections(server)).toBe(2);

    const third = openSocket(server.port);
    third.on("error", () => {});
    let thirdData = "";
    third.setEncoding("utf8").on("data", (text: string) => {
      thirdData += text;
    });
    third.write("GET /health HTTP/1.1\r\nhost: x\r\n\r\n");
    await once(third, "close");
    expect(thirdData).toBe("");
    expect(drops).toHaveLength(1);

    first.destroy();
    await expect.poll(() => connections(server)).toBe(1);
    const agent = new Agent();
    agents.push(agent);
    expect((await chat(server.url, agent)).status).toBe(200);
  });
});

function connections(server: NodeGatewayServer): Promise<number> {
  return new Promise((resolve, reject) =>
    server.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

function peerFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: "127.0.0.1", port, ca }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.once("error", reject);
  });
}

describe("listen: TLS", () => {
  it("serves HTTPS, and updateTls gives new connections the new certificate while an open stream goes on", async () => {
    const before = createTestCertificate("before");
    const after = createTestCertificate("after");
    // 40 tokens per second: the stream is still open when the certificate changes.
    const server = await start({ tls: { cert: before.cert, key: before.key } }, { tokensPerSecond: 40 });
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await peerFingerprint(server.port, before.cert)).toBe(before.fingerprint256);

    const agent = new Agent({ connect: { ca: [before.cert, after.cert] } });
    agents.push(agent);
    const stream = await request(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chatBody({ stream: true })),
      dispatcher: agent,
    });
    expect(stream.statusCode).toBe(200);
    const reader = stream.body[Symbol.asyncIterator]();
    let text = Buffer.from((await reader.next()).value as Buffer).toString();

    server.updateTls({ cert: after.cert, key: after.key });
    expect(await peerFingerprint(server.port, after.cert)).toBe(after.fingerprint256);
    // A client that trusts only the old certificate is now refused.
    await expect(peerFingerprint(server.port, before.cert)).rejects.toThrow();

    for (let next = await reader.next(); !next.done; next = await reader.next()) {
      text += Buffer.from(next.value as Buffer).toString();
    }
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(text).toContain('"finish_reason":"stop"');

    expect(() => server.updateTls({ cert: "not a certificate", key: after.key })).toThrow();
    // A failed update leaves the working certificate in place.
    expect(await peerFingerprint(server.port, after.cert)).toBe(after.fingerprint256);
  });

  it("refuses updateTls on a plain HTTP server", async () => {
    const server = await start({});
    expect(server.url).toMatch(/^http:\/\//);
    const { cert, key } = createTestCertificate();
    expect(() => server.updateTls({ cert, key })).toThrow(/plain HTTP/);
  });
});
