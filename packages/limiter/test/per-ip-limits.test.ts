import { afterEach, describe, expect, it } from "vitest";
import { createTestClock, TEST_CLOCK_START } from "../src/conformance/index.js";
import { createMemoryStore, createRateLimitPlugin } from "../src/index.js";
import { chat, type LimitedStack, startLimitedStack } from "./stack.js";

// Over real sockets: the only peer address a test can have is loopback, so "trusted" or "untrusted" is
// decided by listing 127.0.0.1 in trustedProxies or not.

let stack: LimitedStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const perIp = (trustedProxies?: string[]) =>
  createRateLimitPlugin({
    store: createMemoryStore({ clock: createTestClock(TEST_CLOCK_START + 15_000).now }),
    limits: [{ name: "per-ip", key: "ip", limit: 2, per: "minute", algorithm: "fixed-window" }],
    ...(trustedProxies ? { trustedProxies } : {}),
  });

describe("per-IP limits (key: ip)", () => {
  it("counts the socket peer when it is not a trusted proxy: a spoofed X-Forwarded-For changes nothing", async () => {
    stack = await startLimitedStack(perIp());
    const statuses: number[] = [];
    for (const spoofed of ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) {
      statuses.push((await chat(stack.url, "sk-alice", {}, { "x-forwarded-for": spoofed })).status);
    }
    expect(statuses).toEqual([200, 200, 429]);
    // Another key from the same address shares the counter: the limit is per address.
    const other = await chat(stack.url, "sk-bob");
    expect(other.status).toBe(429);
    expect(other.body.error.message).toContain("for ip=127.0.0.1)");
  });

  it("behind a trusted proxy, counts the rightmost untrusted X-Forwarded-For entry", async () => {
    stack = await startLimitedStack(perIp(["127.0.0.1"]));
    const as = (forwardedFor: string) =>
      chat(stack?.url ?? "", "sk-alice", {}, { "x-forwarded-for": forwardedFor });
    expect((await as("203.0.113.1")).status).toBe(200);
    // The client put another address first; the proxy appended the real one: still 203.0.113.1.
    expect((await as("198.51.100.77, 203.0.113.1")).status).toBe(200);
    const refused = await as("198.51.100.78, 203.0.113.1");
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toContain("for ip=203.0.113.1)");
    // Another client behind the same proxy has its own counter.
    expect((await as("203.0.113.2")).status).toBe(200);
    // Without the header, the proxy's own address is the client.
    expect((await chat(stack.url, "sk-alice")).status).toBe(200);
  });

  it("refuses an invalid trustedProxies entry when the plugin is created", () => {
    expect(() => perIp(["10.0.0.0/40"])).toThrow(/trustedProxies/);
  });
});
