import { createHash, timingSafeEqual } from "node:crypto";
import { createGateway, silentLogger } from "@switchyard/core";
import { createMockProvider } from "@switchyard/provider-mock";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createAdminHandler } from "./admin-handler.js";
import { createKey, createMemoryKeyStore } from "./key-store.js";
import { createVirtualKeysPlugin } from "./virtual-keys-plugin.js";

// Every secret comparison must go through crypto.timingSafeEqual: wrap it to see that it does, and with what.
vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const compare = vi.mocked(timingSafeEqual);
const sha256 = (text: string) => createHash("sha256").update(text).digest();

afterEach(() => {
  compare.mockClear();
});

describe("secrets are compared in constant time", () => {
  it("compares a presented virtual key's digest with the stored one", async () => {
    const store = createMemoryKeyStore();
    const { key } = await createKey(store, {});
    const gateway = createGateway({
      logger: silentLogger,
      requireAuth: true,
      providers: [createMockProvider()],
      plugins: [createVirtualKeysPlugin({ store })],
    });
    try {
      const response = await gateway.handle({
        method: "POST",
        path: "/v1/chat/completions",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "hi" }] }),
        signal: new AbortController().signal,
      });
      expect(response.status).toBe(200);
      expect(compare).toHaveBeenCalledTimes(1);
      const [stored, presented] = compare.mock.calls[0] as [Buffer, Buffer];
      expect(Buffer.compare(stored, sha256(key))).toBe(0);
      expect(Buffer.compare(presented, sha256(key))).toBe(0);
    } finally {
      await gateway.close({ graceMs: 0 });
    }
  });

  it("compares the admin key's digest, right or wrong", async () => {
    const admin = createAdminHandler({ adminKey: "admin-key-0123456789", store: createMemoryKeyStore() });
    const ask = (key: string) =>
      admin({
        method: "GET",
        path: "/keys",
        headers: { authorization: `Bearer ${key}` },
        signal: new AbortController().signal,
      });
    expect((await ask("admin-key-0123456789")).status).toBe(200);
    expect((await ask("admin-key-wrong")).status).toBe(401);
    expect(compare).toHaveBeenCalledTimes(2);
    const calls = compare.mock.calls as Array<[Buffer, Buffer]>;
    expect(calls.map(([offered]) => offered.toString("hex"))).toEqual([
      sha256("admin-key-0123456789").toString("hex"),
      sha256("admin-key-wrong").toString("hex"),
    ]);
    for (const [, expected] of calls)
      expect(Buffer.compare(expected, sha256("admin-key-0123456789"))).toBe(0);
  });
});
