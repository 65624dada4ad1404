// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config files' ${VAR} placeholders.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, ensureBuilt, spawnCli } from "./cli-process.js";

const ADMIN_KEY = "adm-0b1c2d3e4f5a6b7c8d9e";
const CLIENT_KEY = "gk-7e6d5c4b3a2f1e0d9c8b7a6f";

describe("switchyard serve with telemetry (child process)", () => {
  let directory: string;
  let cli: CliProcess | undefined;

  beforeAll(async () => {
    ensureBuilt();
    directory = await mkdtemp(join(tmpdir(), "switchyard-telemetry-"));
  }, 300_000);

  afterAll(async () => {
    await cli?.kill();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it("serves /metrics and /dashboard behind the admin key, logs one line per request, prints no key", async () => {
    const file = join(directory, "telemetry.json");
    await writeFile(
      file,
      JSON.stringify({
        providers: [{ type: "mock" }],
        auth: { keys: [{ id: "ops", key: "${CLIENT_KEY}" }] },
        telemetry: { serviceName: "switchyard-ci", prometheus: true, dashboard: true },
        admin: { key: "${ADMIN_KEY}" },
      }),
    );
    cli = spawnCli(["serve", "--config", file, "--port", "0"], { ADMIN_KEY, CLIENT_KEY });
    const url = await cli.listening();
    expect(cli.stdout).toContain("admin: /metrics, /dashboard (admin key)");

    const answer = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${CLIENT_KEY}` },
      body: JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(answer.status).toBe(200);
    const usage = ((await answer.json()) as { usage: { prompt_tokens: number } }).usage;

    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const metrics = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/^target_info\{.*service_name="switchyard-ci".*\} 1$/m);
    expect(text).toMatch(/^switchyard_requests_total\{.*switchyard_principal_id="ops".*\} 1$/m);
    expect(text).toMatch(
      new RegExp(
        `^gen_ai_client_token_usage_sum\\{.*gen_ai_token_type="input".*\\} ${usage.prompt_tokens}$`,
        "m",
      ),
    );
    const data = await fetch(`${url}/dashboard/data`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(
      ((await data.json()) as { principals: Array<{ name: string }> }).principals.map((row) => row.name),
    ).toEqual(["ops"]);

    const line = await cli.waitFor(/^.*"msg":"request".*$/m, "stderr");
    expect(JSON.parse(line[0])).toMatchObject({
      level: "info",
      principal: "ops",
      status: 200,
      model: "mock-1",
    });

    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
    for (const secret of [ADMIN_KEY, CLIENT_KEY]) expect(cli.stdout + cli.stderr).not.toContain(secret);
  });
});
