import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, ensureBuilt, spawnCli } from "./cli-process.js";

function chat(url: string, model: string, headers: Record<string, string> = {}, signal?: AbortSignal) {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({
      model,
      stream: model.startsWith("slow/"),
      messages: [{ role: "user", content: "Go." }],
    }),
    ...(signal ? { signal } : {}),
  });
}

// One gateway process for the server's defences as the config file sets them: overload shedding, the
// header timeout against slow clients, per-IP limits behind a trusted proxy, and the metrics of all three.
describe("switchyard serve: overload, slow clients, per-IP limits (child process)", () => {
  let directory: string;
  let cli: CliProcess;
  let url: string;

  beforeAll(async () => {
    ensureBuilt();
    directory = await mkdtemp(join(tmpdir(), "switchyard-defences-"));
    const file = join(directory, "defences.json");
    await writeFile(
      file,
      JSON.stringify({
        server: { headersTimeoutMs: 1_000, requestTimeoutMs: 5_000, maxConnections: 64 },
        providers: [
          // 4 tokens per second: a stream from "slow" holds its slot for as long as the test needs.
          { type: "mock", name: "slow", tokensPerSecond: 4, replyTokens: 40 },
          { type: "mock", name: "fast" },
        ],
        overload: { maxInFlight: 1, maxQueue: 0 },
        // A token bucket of 2 refilling at 2 per hour: nothing refills during the test.
        rateLimit: {
          limits: [{ name: "per-ip", key: "ip", limit: 2, per: "hour", algorithm: "token-bucket" }],
          trustedProxies: ["127.0.0.1"],
        },
        telemetry: { prometheus: true },
        log: { level: "warn" },
      }),
    );
    cli = spawnCli(["serve", "--config", file, "--port", "0"]);
    url = await cli.listening();
  }, 300_000);

  afterAll(async () => {
    await cli?.kill();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it("sheds a request beyond overload.maxInFlight with 503 and Retry-After, and admits again once a slot frees", async () => {
    const holder = new AbortController();
    const stream = await chat(url, "slow/mock-1", { "x-forwarded-for": "192.0.2.10" }, holder.signal);
    expect(stream.status).toBe(200);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();

    const shed = await chat(url, "fast/mock-1", { "x-forwarded-for": "192.0.2.11" });
    expect(shed.status).toBe(503);
    expect(shed.headers.get("retry-after")).toBe("1");
    expect(((await shed.json()) as { error: { code: string } }).error.code).toBe("overloaded");

    holder.abort();
    await reader.cancel().catch(() => {});
    await expect
      .poll(async () => ((await (await fetch(`${url}/health`)).json()) as { inFlight: number }).inFlight)
      .toBe(0);
    expect((await chat(url, "fast/mock-1", { "x-forwarded-for": "192.0.2.11" })).status).toBe(200);
  });

  it("limits per client IP from X-Forwarded-For of the trusted proxy (127.0.0.1)", async () => {
    const as = (forwardedFor: string) => chat(url, "fast/mock-1", { "x-forwarded-for": forwardedFor });
    expect((await as("203.0.113.1")).status).toBe(200);
    // A prepended (spoofed) entry does not make a new client: the proxy's appended address counts.
    expect((await as("198.51.100.1, 203.0.113.1")).status).toBe(200);
    const refused = await as("198.51.100.2, 203.0.113.1");
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
      "for ip=203.0.113.1)",
    );
    expect((await as("203.0.113.2")).status).toBe(200);
  });

  it("cuts a client that sends its headers slower than server.headersTimeoutMs, and keeps serving", async () => {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
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
    const head = `GET /health HTTP/1.1\r\nhost: ${hostname}\r\nx-padding: ${"a".repeat(80)}\r\n\r\n`;
    let sent = 0;
    let servedMeanwhile: number | undefined;
    // One byte per 100 ms: about 12 s for the whole head; the server must cut it after about 1 s.
    while (!closed && sent < head.length) {
      socket.write(head.charAt(sent));
      sent++;
      if (sent === 3)
        servedMeanwhile = (await chat(url, "fast/mock-1", { "x-forwarded-for": "203.0.113.50" })).status;
      await sleep(100);
    }
    socket.destroy();
    expect(closed).toBe(true);
    expect(sent).toBeLessThan(head.length);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(servedMeanwhile).toBe(200);
  }, 30_000);

  it("shows shedding, client errors and the configured caps in /metrics, then exits 0 on SIGTERM", async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(
      /^switchyard_requests_shed_total\{[^}]*error_type="SWY_ERR_GATEWAY_OVERLOADED"[^}]*\} 1$/m,
    );
    expect(text).toMatch(
      /^switchyard_server_client_errors_total\{[^}]*error_type="ERR_HTTP_REQUEST_TIMEOUT"[^}]*\} 1$/m,
    );
    expect(text).toMatch(
      /^switchyard_capacity\{[^}]*switchyard_capacity_kind="requests_in_flight"[^}]*\} 1$/m,
    );
    expect(text).toMatch(/^switchyard_capacity\{[^}]*switchyard_capacity_kind="connections"[^}]*\} 64$/m);
    expect(text).toMatch(/^switchyard_server_connections\{[^}]*\} [1-9]\d*$/m);
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
  });
});
