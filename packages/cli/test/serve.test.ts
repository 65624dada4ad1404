// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config files' ${VAR} placeholders.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, ensureBuilt, spawnCli } from "./cli-process.js";

const chatBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "Say something." }], ...extra });

interface StreamChunk {
  choices: Array<{ delta: { content?: string }; finish_reason: string | null }>;
}

function postChat(url: string, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: chatBody(extra),
  });
}

describe("switchyard serve (child process)", () => {
  let directory: string;
  const children: CliProcess[] = [];

  const start = (args: readonly string[], env: Record<string, string> = {}) => {
    const cli = spawnCli(args, env);
    children.push(cli);
    return cli;
  };

  async function configFile(name: string, config: unknown): Promise<string> {
    const file = join(directory, name);
    await writeFile(file, JSON.stringify(config, null, 2));
    return file;
  }

  beforeAll(async () => {
    ensureBuilt();
    directory = await mkdtemp(join(tmpdir(), "switchyard-serve-"));
  }, 300_000);

  afterEach(async () => {
    await Promise.all(children.splice(0).map((cli) => cli.kill()));
  });

  afterAll(async () => {
    await Promise.all(children.splice(0).map((cli) => cli.kill()));
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it("serves the embedded mock on the port the OS picked", async () => {
    const cli = start(["serve", "--port", "0"]);
    const url = await cli.listening();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toMatch(/:0$/);
    expect(cli.stdout).toContain("providers: mock\n");

    const response = await postChat(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    const body = (await response.json()) as {
      object: string;
      model: string;
      choices: Array<{ message: { role: string; content: string } }>;
      usage: { total_tokens: number };
    };
    expect(body.object).toBe("chat.completion");
    expect(body.model).toBe("mock-1");
    expect(body.choices[0]?.message.role).toBe("assistant");
    expect(body.choices[0]?.message.content.length).toBeGreaterThan(0);
    expect(body.usage.total_tokens).toBeGreaterThan(0);
  });

  it("requires the key from the config, read from the environment, and never prints it", async () => {
    const key = `gk-${randomBytes(16).toString("hex")}`;
    const file = await configFile("auth.json", {
      providers: [{ type: "mock" }],
      auth: { keys: [{ id: "ci", key: "${GATEWAY_KEY}" }] },
      log: { level: "debug" },
    });
    const cli = start(["serve", "--config", file, "--port", "0"], { GATEWAY_KEY: key });
    const url = await cli.listening();

    const anonymous = await postChat(url);
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();

    const wrong = await postChat(url, { authorization: `Bearer ${key}-wrong` });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(key);

    const allowed = await postChat(url, { authorization: `Bearer ${key}` });
    expect(allowed.status).toBe(200);
    expect(((await allowed.json()) as { object: string }).object).toBe("chat.completion");

    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
    expect(cli.stdout).toContain("Switchyard listening on");
    expect(cli.stdout + cli.stderr).not.toContain(key);
  });

  it("on SIGTERM, finishes a stream in flight and exits 0", async () => {
    // 40 tokens at 40 tokens/s: the stream lasts about a second, long enough to be cut if draining were broken.
    const file = await configFile("slow.json", {
      providers: [{ type: "mock", tokensPerSecond: 40, replyTokens: 40 }],
    });
    const cli = start(["serve", "--config", file, "--port", "0"]);
    const url = await cli.listening();

    const response = await postChat(url, {}, { stream: true });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const first = await reader.read();
    expect(first.done).toBe(false);
    let text = decoder.decode(first.value, { stream: true });

    cli.child.kill("SIGTERM");
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    text += decoder.decode();

    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    const events = text
      .split("\n\n")
      .filter((event) => event.startsWith("data: {"))
      .map((event) => JSON.parse(event.slice("data: ".length)) as StreamChunk);
    // Every one of the 40 tokens arrived, then the finish reason: nothing was cut short.
    const tokens = events.filter((event) => (event.choices[0]?.delta.content ?? "") !== "");
    expect(tokens.length).toBe(40);
    expect(events.at(-1)?.choices[0]?.finish_reason).toBe("stop");

    const exit = await cli.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(cli.stderr).toContain("SIGTERM: draining");
  });

  it("exits 1 on a bad config file, naming the path of the problem", async () => {
    const file = await configFile("bad.json", {
      server: { port: "eighty" },
      providers: [{ type: "mock" }],
    });
    const cli = start(["serve", "--config", file]);
    const exit = await cli.exited;
    expect(exit.code).toBe(1);
    expect(cli.stderr).toContain(`${file}: server.port: `);
    expect(cli.stdout).not.toContain("Switchyard listening");
  });

  it("exits 1 on a config naming an unset variable, naming the variable and its path", async () => {
    const file = await configFile("unset.json", {
      providers: [{ type: "mock" }],
      auth: { keys: [{ id: "ci", key: "${SWITCHYARD_TEST_UNSET_KEY}" }] },
    });
    const cli = start(["serve", "--config", file, "--port", "0"]);
    expect((await cli.exited).code).toBe(1);
    expect(cli.stderr).toContain(
      `${file}: auth.keys[0].key: environment variable SWITCHYARD_TEST_UNSET_KEY is not set.`,
    );
  });
});
