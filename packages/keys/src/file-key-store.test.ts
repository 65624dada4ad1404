import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashApiKey } from "@switchyard/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileKeyStore } from "./file-key-store.js";
import { createKey, revokeKey } from "./key-store.js";

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "swy-keys-"));
  path = join(dir, "keys.json");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("file key store", () => {
  it("stores only the SHA-256, in a file only its owner can read", async () => {
    const store = createFileKeyStore({ path });
    expect(await store.list()).toEqual([]);
    const created = await createKey(store, {
      name: "ci",
      team: "red",
      models: ["mock-*"],
      budget: { daily: 5 },
    });
    expect(created.key).toMatch(/^sk-swy-[A-Za-z0-9_-]{43}$/);
    const text = await readFile(path, "utf8");
    expect(text).not.toContain(created.key);
    expect(text).toContain(hashApiKey(created.key));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const found = await store.findByHash(hashApiKey(created.key));
    expect(found).toMatchObject({ id: created.record.id, name: "ci", team: "red", budget: { daily: 5 } });
  });

  it("sees a revocation written by another store (process) on the next lookup", async () => {
    const gatewaySide = createFileKeyStore({ path });
    const cliSide = createFileKeyStore({ path });
    const { key, record } = await createKey(cliSide, {});
    const digest = hashApiKey(key);
    expect((await gatewaySide.findByHash(digest))?.revokedAt).toBeUndefined();
    await revokeKey(cliSide, record.id);
    expect((await gatewaySide.findByHash(digest))?.revokedAt).toEqual(expect.any(String));
  });

  it("keeps the keys read last when the file turns invalid, and reports it", async () => {
    const errors: Error[] = [];
    const store = createFileKeyStore({ path, onError: (error) => errors.push(error) });
    const { key } = await createKey(store, {});
    expect(await store.findByHash(hashApiKey(key))).toBeDefined();
    await writeFile(path, "{ not json");
    expect(await store.findByHash(hashApiKey(key))).toBeDefined();
    expect(await store.findByHash(hashApiKey(key))).toBeDefined();
    expect(errors).toHaveLength(1);
    // A write refuses to overwrite a file it cannot read.
    await expect(createKey(store, {})).rejects.toThrow(/key file/);
    // A store that never read a good version fails.
    await expect(createFileKeyStore({ path }).list()).rejects.toThrow(/key file/);
  });

  it("serialises concurrent writers with a lock file: no write is lost", async () => {
    const stores = [createFileKeyStore({ path }), createFileKeyStore({ path }), createFileKeyStore({ path })];
    const created = await Promise.all(
      Array.from({ length: 12 }, (_, index) => createKey(stores[index % 3] as never, {})),
    );
    const listed = await createFileKeyStore({ path }).list();
    expect(listed.map((key) => key.id).sort()).toEqual(created.map((item) => item.record.id).sort());
  });

  it("refuses invalid records in the file", async () => {
    await writeFile(
      path,
      JSON.stringify({
        version: 1,
        keys: [{ id: "k", sha256: "nothex", createdAt: "2025-01-01T00:00:00Z" }],
      }),
    );
    await expect(createFileKeyStore({ path }).list()).rejects.toThrow(/sha256/);
  });
});
