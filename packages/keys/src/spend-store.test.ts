import { describe, expect, it } from "vitest";
import { createMemorySpendStore, daysBetween, summarizeSpend } from "./spend-store.js";

const row = { requests: 1, inputTokens: 10, outputTokens: 5 };

describe("memory spend store", () => {
  it("adds to one counter per day, key, team and model and filters queries", async () => {
    const store = createMemorySpendStore();
    await store.record({ ...row, day: "2025-06-01", key: "k1", team: "red", model: "p/m", costMicros: 10 });
    await store.record({ ...row, day: "2025-06-01", key: "k1", team: "red", model: "p/m", costMicros: 5 });
    await store.record({ ...row, day: "2025-06-02", key: "k2", model: "p/m", costMicros: 7 });
    await store.record({ ...row, day: "2025-06-03", key: "k1", team: "red", model: "p/x", costMicros: 1 });
    const all = await store.query({ from: "2025-06-01", to: "2025-06-03" });
    expect(all).toHaveLength(3);
    expect(all[0]).toEqual({
      day: "2025-06-01",
      key: "k1",
      team: "red",
      model: "p/m",
      costMicros: 15,
      requests: 2,
      inputTokens: 20,
      outputTokens: 10,
    });
    expect(await store.query({ from: "2025-06-02", to: "2025-06-02" })).toHaveLength(1);
    expect(
      (await store.query({ from: "2025-06-01", to: "2025-06-03", team: "red" })).map((r) => r.costMicros),
    ).toEqual([15, 1]);
    expect(summarizeSpend(all, "key").map((total) => [total.group, total.costMicros])).toEqual([
      ["k1", 16],
      ["k2", 7],
    ]);
    expect(summarizeSpend(all)[0]).toMatchObject({ costMicros: 23, costUsd: 0.000023, requests: 4 });
    expect(summarizeSpend([])[0]).toMatchObject({ costMicros: 0, requests: 0 });
  });

  it("drops days past retention and refuses bad ranges", async () => {
    const store = createMemorySpendStore({ retentionDays: 2 });
    await store.record({ ...row, day: "2025-06-01", key: "k", model: "m", costMicros: 1 });
    await store.record({ ...row, day: "2025-06-05", key: "k", model: "m", costMicros: 1 });
    expect(await store.query({ from: "2025-06-01", to: "2025-06-05" })).toHaveLength(1);
    expect(() => daysBetween("2025-06-05", "2025-06-01")).toThrow(RangeError);
    expect(() => daysBetween("2025-6-1", "2025-06-01")).toThrow(RangeError);
    expect(() => daysBetween("2020-01-01", "2025-01-01")).toThrow(/at most 400 days/);
    expect(daysBetween("2024-02-28", "2024-03-01")).toEqual(["2024-02-28", "2024-02-29", "2024-03-01"]);
  });
});
