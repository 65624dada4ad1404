import { createMemoryStore } from "@switchyard/limiter";
import { describe, expect, it } from "vitest";
import { createBudgetLedger, msToNextMonth } from "./budget-ledger.js";

const JUNE_15 = Date.UTC(2025, 5, 15, 12);

function ledger(now = JUNE_15) {
  const clock = () => now;
  return createBudgetLedger({
    store: createMemoryStore({ clock }),
    teams: { red: { monthly: 0.001 } },
    clock,
  });
}

describe("budget ledger", () => {
  it("reserves all budgets or none, and settles to the real cost", async () => {
    const budgets = ledger();
    const lines = budgets.linesFor("k1", { daily: 0.0001, total: 0.0005 }, "red");
    expect(lines.map((line) => `${line.check.name} ${line.check.subject} ${line.limitMicros}`)).toEqual([
      "budget.key.daily key=k1 100",
      "budget.key.total key=k1 500",
      "budget.team.monthly team=red,month=2025-06 1000",
    ]);
    const first = await budgets.reserve(lines, 80);
    expect(first.allowed).toBe(true);
    // 80 reserved of the 100 daily: 30 more does not fit, and charges nothing anywhere.
    const second = await budgets.reserve(lines, 30);
    expect(second).toMatchObject({ allowed: false, refusal: { remainingMicros: 20, costMicros: 30 } });
    expect(second.allowed || second.refusal.line.period).toBe("daily");
    if (first.allowed && first.reservation) await budgets.settle(first.reservation, 50);
    const status = await budgets.status(lines);
    expect(status.map((item) => item.usedUsd)).toEqual([0.00005, 0.00005, 0.00005]);
    expect(status[0]?.resetsAt).toBe("2025-06-16T00:00:00.000Z");
    expect(status[1]?.resetsAt).toBeUndefined();
    expect(status[2]?.resetsAt).toBe("2025-07-01T00:00:00.000Z");
    expect((await budgets.reserve(lines, 30)).allowed).toBe(true);
  });

  it("names the budget that keeps the request out longest", async () => {
    const budgets = ledger();
    const lines = budgets.linesFor("k1", { daily: 0.00001, total: 0.00001 }, undefined);
    const decision = await budgets.reserve(lines, 11);
    expect(decision).toMatchObject({ allowed: false, refusal: { refusedCount: 2, resetAtMs: undefined } });
    expect(decision.allowed || decision.refusal.line.period).toBe("total");
  });

  it("starts a new monthly counter each calendar month", async () => {
    const june = ledger(JUNE_15);
    const lines = june.linesFor(undefined, undefined, "red");
    expect((await june.reserve(lines, 1_000)).allowed).toBe(true);
    expect((await june.reserve(lines, 1)).allowed).toBe(false);
    const july = june.linesFor(undefined, undefined, "red").map((line) => ({
      ...line,
      check: { ...line.check, subject: line.check.subject.replace("2025-06", "2025-07") },
    }));
    expect((await june.reserve(july, 1)).allowed).toBe(true);
    expect(msToNextMonth(Date.UTC(2025, 11, 31, 23))).toBe(3_600_000);
  });

  it("treats a zero budget as blocked for anything that costs", async () => {
    const budgets = ledger();
    const lines = budgets.linesFor("k1", { daily: 0 }, undefined);
    expect((await budgets.reserve(lines, 1)).allowed).toBe(false);
    expect((await budgets.reserve(lines, 0)).allowed).toBe(true);
    expect((await budgets.status(lines))[0]).toMatchObject({ limitUsd: 0, remainingUsd: 0 });
  });
});
