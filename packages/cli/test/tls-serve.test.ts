import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { Agent, request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, ensureBuilt, spawnCli } from "./cli-process.js";
import { createTestCertificate } from "./tls-certificates.js";

function peerFingerprint(url: string, ca: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.once("error", reject);
  });
}

describe("switchyard serve --tls-cert/--tls-key (child process)", () => {
  let directory: string;
  let cli: CliProcess | undefined;
  const agents: Agent[] = [];

  beforeAll(async () => {
    ensureBuilt();
    directory = await mkdtemp(join(tmpdir(), "switchyard-tls-"));
  }, 300_000);

  afterAll(async () => {
    for (const agent of agents) agent.destroy();
    await cli?.kill();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it("serves HTTPS; SIGHUP swaps in new certificate files for new connections while an open stream goes on", async () => {
    const before = createTestCertificate("before");
    const after = createTestCertificate("after");
    const certFile = join(directory, "cert.pem");
    const keyFile = join(directory, "key.pem");
    await writeFile(certFile, before.cert);
    await writeFile(keyFile, before.key);
    const config = join(directory, "tls.json");
    // 40 tokens at 40 per second: the stream is open across the reload.
    await writeFile(
      config,
      JSON.stringify({
        providers: [{ type: "mock", tokensPerSecond: 40, replyTokens: 40 }],
        log: { level: "warn" },
      }),
    );
    cli = spawnCli([
      "serve",
      "--config",
      config,
      "--port",
      "0",
      "--tls-cert",
      certFile,
      "--tls-key",
      keyFile,
    ]);
    const url = await cli.listening();
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(cli.stdout).toContain(`tls: certificate ${before.fingerprint256}`);
    expect(await peerFingerprint(url, before.cert)).toBe(before.fingerprint256);

    const agent = new Agent({ ca: [before.cert, after.cert], keepAlive: true });
    agents.push(agent);
    const outgoing = request(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      agent,
    });
    outgoing.end(
      JSON.stringify({ model: "mock-1", stream: true, messages: [{ role: "user", content: "Go." }] }),
    );
    const [stream] = (await once(outgoing, "response")) as [IncomingMessage];
    expect(stream.statusCode).toBe(200);
    const chunks = stream[Symbol.asyncIterator]();
    let text = Buffer.from((await chunks.next()).value as Buffer).toString();

    await writeFile(certFile, after.cert);
    await writeFile(keyFile, after.key);
    cli.child.kill("SIGHUP");
    await cli.waitFor(
      new RegExp(`TLS certificate reloaded from .*cert\\.pem \\(${after.fingerprint256}`),
      "stderr",
    );
    expect(await peerFingerprint(url, after.cert)).toBe(after.fingerprint256);

    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      text += Buffer.from(next.value as Buffer).toString();
    }
    const tokens = text
      .split("\n\n")
      .filter((event) => event.startsWith("data: {"))
      .filter((event) => /"content":"[^"]+"/.test(event));
    expect(tokens).toHaveLength(40);
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);

    // A broken certificate file is refused and the working one stays.
    await writeFile(certFile, "not a certificate");
    cli.child.kill("SIGHUP");
    await cli.waitFor(
      /TLS reload failed, keeping the current certificate: .*not a PEM certificate/,
      "stderr",
    );
    expect(await peerFingerprint(url, after.cert)).toBe(after.fingerprint256);

    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
  }, 60_000);
});
