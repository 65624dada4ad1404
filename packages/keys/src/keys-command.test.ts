import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashApiKey } from "@switchyard/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runKeysCommand } from "./keys-command.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "swy-keys-cli-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await runKeysCommand(argv, {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    env: {},
  });
  return { code, out, err };
}

describe("switchyard keys", () => {
  it("creates a key, prints it once, lists and revokes it", async () => {
    const store = `file:${join(dir, "keys.json")}`;
    const created = await run(
      "create",
      "--store",
      store,
      "--name",
      "ci",
      "--team",
      "red",
      "--model",
      "mock-*",
      "--model",
      "gpt-4o",
      "--daily",
      "5",
      "--rpm",
      "60",
      "--expires",
      "30d",
      "--meta",
      "owner=ops",
    );
    expect(created.code).toBe(0);
    const key = /(sk-swy-\S+)/.exec(created.out)?.[1] as string;
    expect(key).toMatch(/^sk-swy-[A-Za-z0-9_-]{43}$/);
    expect(created.out.split(key)).toHaveLength(2);
    const file = await readFile(join(dir, "keys.json"), "utf8");
    expect(file).not.toContain(key);
    const record = JSON.parse(file).keys[0];
    expect(record).toMatchObject({
      name: "ci",
      team: "red",
      models: ["mock-*", "gpt-4o"],
      budget: { daily: 5 },
      rateLimits: { requestsPerMinute: 60 },
      metadata: { owner: "ops" },
      sha256: hashApiKey(key),
    });
    expect(Date.parse(record.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const listed = await run("list", "--store", store);
    expect(listed.out).toContain(record.id);
    expect(listed.out).toMatch(/active/);
    expect(listed.out).toContain("$5/day");
    expect(listed.out).not.toContain(key);
    expect(listed.out).not.toContain(record.sha256);

    expect((await run("revoke", record.id, "--store", store)).code).toBe(0);
    const json = JSON.parse((await run("list", "--store", store, "--json")).out);
    expect(json[0]).toMatchObject({ id: record.id, status: "revoked" });
    expect(JSON.stringify(json)).not.toContain(record.sha256);
    expect((await run("revoke", "key_missing", "--store", store)).code).toBe(1);
  });

  it("prints JSON for scripts", async () => {
    const created = await run("create", "--store", `file:${join(dir, "k.json")}`, "--json", "--total", "1.5");
    const parsed = JSON.parse(created.out);
    expect(parsed.key).toMatch(/^sk-swy-/);
    expect(parsed.data).toMatchObject({ budget: { total: 1.5 } });
    expect(parsed.data.sha256).toBeUndefined();
  });

  it("explains usage errors with exit code 2", async () => {
    expect((await run()).code).toBe(2);
    expect((await run("--help")).code).toBe(0);
    expect((await run("list")).err).toContain("--store is required");
    expect((await run("frobnicate", "--store", "file:x.json")).code).toBe(2);
    const store = `file:${join(dir, "keys.json")}`;
    expect((await run("create", "--store", store, "--daily", "lots")).err).toContain(
      "--daily must be a number",
    );
    expect((await run("create", "--store", store, "--expires", "someday")).code).toBe(2);
    expect((await run("revoke", "--store", store)).err).toContain("needs the key's ID");
    expect((await run("list", "--store", "ftp://x")).code).toBe(1);
  });
});
