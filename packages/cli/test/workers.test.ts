import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { get, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMockUpstream, type MockUpstream } from "@switchyard/provider-mock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, ensureBuilt, spawnCli } from "./cli-process.js";
import { redisSkipReason, redisUrl, uniquePrefix } from "./redis-server.js";

/** POSTs a chat request on a connection of its own; resolves with the status and the worker that answered. */
function chatOnNewConnection(url: string): Promise<{ status: number; worker: number }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "Hi." }] });
    const outgoing = request(
      `${url}/v1/chat/completions`,
      { method: "POST", agent: false, headers: { "content-type": "application/json" } },
      (response) => {
        response.resume();
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            worker: Number(response.headers["x-switchyard-worker"]),
          }),
        );
      },
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

/** GET /health on a connection of its own (no keep-alive), so the primary hands it to the next worker. */
function workerOf(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(`${url}/health`, { agent: false }, (response) => {
      response.resume();
      response.on("end", () => resolve(Number(response.headers["x-switchyard-worker"])));
    }).on("error", reject);
  });
}

describe("switchyard serve --workers (child processes)", () => {
  let directory: string;
  let upstream: MockUpstream;
  const children: CliProcess[] = [];

  beforeAll(async () => {
    ensureBuilt();
    directory = await mkdtemp(join(tmpdir(), "switchyard-workers-"));
    // The upstream lives in the test process: 40 tokens at 40 per second, a stream of about a second.
    upstream = await createMockUpstream({ apiKey: "sk-upstream", tokensPerSecond: 40, replyTokens: 40 });
  }, 300_000);

  afterEach(async () => {
    await Promise.all(children.splice(0).map((cli) => cli.kill()));
  });

  afterAll(async () => {
    await Promise.all(children.splice(0).map((cli) => cli.kill()));
    await upstream?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  async function configFile(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const file = join(directory, name);
    const config = {
      providers: [
        {
          type: "openai",
          name: "up",
          baseURL: `${upstream.url}/v1`,
          apiKey: "sk-upstream",
          models: ["mock-1"],
        },
      ],
      rateLimit: { limits: [{ name: "rpm", limit: 10_000, per: "minute" }] },
      log: { level: "warn" },
      ...extra,
    };
    await writeFile(file, JSON.stringify(config));
    return file;
  }

  it("serves from 2 workers on one port, replaces a worker that dies, and on SIGTERM drains a stream and exits 0", async () => {
    const file = await configFile("workers.json");
    const cli = spawnCli([
      "serve",
      "--config",
      file,
      "--port",
      "0",
      "--workers",
      "2",
      "--allow-per-worker-limits",
    ]);
    children.push(cli);
    const url = await cli.listening();
    const [, first, second] = (await cli.waitFor(/workers: 2 \(pids (\d+), (\d+)\)/)).map(Number);
    const started = new Set([first, second]);
    expect(started.size).toBe(2);
    expect(started.has(cli.child.pid)).toBe(false);

    // The primary hands connections out round-robin: four connections reach both workers.
    const seen = new Set<number>();
    for (let index = 0; index < 4; index++) seen.add(await workerOf(url));
    expect(seen).toEqual(started);

    const victim = first as number;
    process.kill(victim, "SIGKILL");
    await cli.waitFor(
      new RegExp(`worker ${victim} \\(slot \\d\\) exited \\(signal SIGKILL\\); restarting`),
      "stderr",
    );
    const replacement = Number((await cli.waitFor(/worker (\d+) \(slot \d\) is serving/, "stderr"))[1]);
    expect(started.has(replacement)).toBe(false);
    const after = new Set<number>();
    for (let index = 0; index < 4; index++) after.add(await workerOf(url));
    expect(after).toEqual(new Set([second, replacement]));

    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-1", stream: true, messages: [{ role: "user", content: "Go." }] }),
    });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value, { stream: true });

    cli.child.kill("SIGTERM");
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      text += decoder.decode(next.value, { stream: true });
    }
    text += decoder.decode();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    const events = text
      .split("\n\n")
      .filter((event) => event.startsWith("data: {"))
      .map(
        (event) =>
          JSON.parse(event.slice(6)) as {
            choices: Array<{ delta: { content?: string }; finish_reason: string | null }>;
          },
      );
    expect(events.filter((event) => (event.choices[0]?.delta.content ?? "") !== "")).toHaveLength(40);
    expect(events.at(-1)?.choices[0]?.finish_reason).toBe("stop");

    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stderr).toContain("SIGTERM: draining 2 workers");
    for (const pid of [second, replacement]) expect(() => process.kill(pid as number, 0)).toThrow();
  }, 90_000);

  it("refuses several workers with the memory rate-limit store unless per-worker limits are allowed", async () => {
    const file = await configFile("memory.json");
    const cli = spawnCli(["serve", "--config", file, "--port", "0", "--workers", "2"]);
    children.push(cli);
    expect((await cli.exited).code).toBe(1);
    expect(cli.stderr).toContain('2 workers: rateLimit.store is "memory"');
    expect(cli.stderr).toContain("--allow-per-worker-limits");
    expect(cli.stdout).not.toContain("Switchyard listening");
  });

  it.skipIf(redisSkipReason !== undefined)(
    "with the Redis store, 2 workers enforce one limit exactly",
    async () => {
      // A bucket of 5 refilling at 5 per hour: nothing refills during the test.
      const file = await configFile("redis.json", {
        rateLimit: {
          store: { type: "redis", url: redisUrl, prefix: uniquePrefix("cli-workers") },
          limits: [{ name: "shared", key: "global", limit: 5, per: "hour", algorithm: "token-bucket" }],
        },
      });
      const cli = spawnCli(["serve", "--config", file, "--port", "0", "--workers", "2"]);
      children.push(cli);
      const url = await cli.listening();
      const answers = [];
      for (let index = 0; index < 8; index++) answers.push(await chatOnNewConnection(url));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
      // Both workers took part: round-robin alternates them.
      expect(new Set(answers.map((answer) => answer.worker)).size).toBe(2);
      cli.child.kill("SIGTERM");
      expect((await cli.exited).code).toBe(0);
    },
    60_000,
  );
});
