import { describe, expect, it } from "vitest";
import { createTestClock, defineStoreConformance } from "./conformance/index.js";
import type { LimitAlgorithm } from "./limit-algorithm.js";
import { createMemoryStore } from "./memory-store.js";

describe("memory store: conformance", () => {
  defineStoreConformance({ createStore: (clock) => createMemoryStore({ clock }) }, it);
});

describe("memory store", () => {
  const spec: LimitAlgorithm = { kind: "fixed-window", limit: 5, windowMs: 1000, burst: 5 };

  it("sweeps state that has run out, so memory stays bounded", async () => {
    const clock = createTestClock();
    const store = createMemoryStore({ clock: clock.now, sweepIntervalMs: 5_000 });
    for (let index = 0; index < 50; index++) {
      await store.consume([{ name: "sweep", subject: `user-${index}`, algorithm: spec, cost: 1 }]);
    }
    expect(store.size).toBe(50);
    clock.advance(4_000);
    await store.consume([{ name: "sweep", subject: "late", algorithm: spec, cost: 1 }]);
    // The first consume set the next sweep 5 s out; 4 s later nothing is swept yet.
    expect(store.size).toBe(51);
    clock.advance(1_000);
    await store.consume([{ name: "sweep", subject: "later", algorithm: spec, cost: 1 }]);
    expect(store.size).toBe(1);
  });

  it("refuses invalid options with the option's path", () => {
    expect(() => createMemoryStore({ sweepIntervalMs: -1 })).toThrow(/memory store options: sweepIntervalMs/);
  });
});
