import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGateway, silentLogger } from "@switchyard/core";
import { createMockProvider } from "@switchyard/provider-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createKey } from "./key-store.js";
import { createKeysFromConfig, keyFilePath, openKeyStore } from "./keys-config.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "swy-keys-config-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("keys config", () => {
  it("resolves file stores against the config's directory", () => {
    expect(keyFilePath("file:./keys.json", "/etc/switchyard")).toBe("/etc/switchyard/keys.json");
    expect(keyFilePath("file:keys.json", "/etc/switchyard")).toBe("/etc/switchyard/keys.json");
    expect(keyFilePath("file:/var/keys.json", "/etc")).toBe("/var/keys.json");
    expect(keyFilePath("file:///var/keys.json", "/etc")).toBe("/var/keys.json");
  });

  it("builds a working plugin and admin handler from a file store and memory state", async () => {
    const store = await openKeyStore("file:./keys.json", { baseDir: dir });
    const { key } = await createKey(store, { team: "red" });
    const setup = await createKeysFromConfig(
      { store: "file:./keys.json", teams: { red: { daily: 0.00001 } } },
      { baseDir: dir, adminKey: "admin-key-0123456789", adminPathPrefix: "/admin" },
    );
    const gateway = createGateway({
      logger: silentLogger,
      requireAuth: true,
      providers: [createMockProvider()],
      plugins: [setup.plugin],
    });
    try {
      const response = await gateway.handle({
        method: "POST",
        path: "/v1/chat/completions",
        headers: { authorization: `Bearer ${key}` },
        body: JSON.stringify({
          model: "mock-1",
          max_tokens: 10,
          messages: [{ role: "user", content: "hi" }],
        }),
        signal: new AbortController().signal,
      });
      // The team's budget (10 micro-USD) cannot cover the worst case: the config's teams took effect.
      expect(response.status).toBe(402);
      const listed = await setup.admin?.({
        method: "GET",
        path: "/admin/keys",
        headers: { "x-api-key": "admin-key-0123456789" },
        signal: new AbortController().signal,
      });
      expect(listed?.status).toBe(200);
      expect(JSON.parse(String(listed?.body)).data).toHaveLength(1);
    } finally {
      await gateway.close({ graceMs: 0 });
      await setup.close();
    }
  });

  it("fails at start-up on a broken key file or a bad config", async () => {
    await writeFile(join(dir, "keys.json"), "{ broken");
    await expect(createKeysFromConfig({ store: "file:keys.json" }, { baseDir: dir })).rejects.toThrow(
      /key file/,
    );
    await expect(createKeysFromConfig({ store: "ftp://keys" })).rejects.toThrow(/keys options: store/);
    await expect(createKeysFromConfig({ store: "file:k.json", prefix: "{x}" } as never)).rejects.toThrow(
      /prefix/,
    );
  });
});
