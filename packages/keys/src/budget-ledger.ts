import type {
  ConsumeResult,
  LimitAlgorithm,
  LimitCheck,
  LimiterStore,
  LimitState,
} from "@switchyard/limiter";
import type { BudgetLimits } from "./key-record.js";
import { usdToMicros } from "./pricing.js";
import { utcMonth } from "./spend-store.js";

/** The periods a budget can have. */
export type BudgetPeriod = "daily" | "monthly" | "total";

/** Whose budget: a key's or a team's. */
export interface BudgetOwner {
  readonly kind: "key" | "team";
  readonly id: string;
}

/** One budget that applies to a request: its owner, period, amount and counter. */
export interface BudgetLine {
  readonly owner: BudgetOwner;
  readonly period: BudgetPeriod;
  readonly limitMicros: number;
  /** The limiter check that charges this budget (cost filled in per request). */
  readonly check: Omit<LimitCheck, "cost">;
}

/** What a budget holds now. Amounts in USD; `resetsAt` is absent for `total` budgets. */
export interface BudgetStatus {
  readonly owner: BudgetOwner;
  readonly period: BudgetPeriod;
  readonly limitUsd: number;
  /** Spent and reserved by requests in flight. */
  readonly usedUsd: number;
  readonly remainingUsd: number;
  /** ISO 8601. */
  readonly resetsAt?: string;
}

/** The verdict on reserving one request's worst-case cost. */
export type BudgetDecision =
  | { readonly allowed: true; readonly reservation: BudgetReservation | undefined }
  | { readonly allowed: false; readonly refusal: BudgetRefusal };

/** Why a request was refused: the budget that binds, what is left, and when it resets. */
export interface BudgetRefusal {
  readonly line: BudgetLine;
  readonly remainingMicros: number;
  readonly costMicros: number;
  /** When the budget resets (ms since the epoch); `undefined` for `total` budgets, which never do. */
  readonly resetAtMs: number | undefined;
  /** How many budgets refused (the binding one included). */
  readonly refusedCount: number;
}

/** A reservation to settle once the real cost is known. */
export interface BudgetReservation {
  readonly lines: readonly BudgetLine[];
  readonly reservedMicros: number;
  /** The store's clock at the reservation. */
  readonly reservedAtMs: number;
}

/** Options of {@link createBudgetLedger}. */
export interface BudgetLedgerOptions {
  /** Where budget counters live: a limiter store (memory, or Redis to share budgets between replicas). */
  readonly store: LimiterStore;
  /** Team budgets, by team name. @default {} */
  readonly teams?: Readonly<Record<string, BudgetLimits>>;
  /** The gateway's clock (ms since the epoch): picks the calendar month of monthly budgets. @default Date.now */
  readonly clock?: () => number;
}

/** Budgets on a limiter store: which apply, reserve, settle, and read them. */
export interface BudgetLedger {
  readonly store: LimiterStore;
  /** The budgets of a key (its own) and of its team. */
  linesFor(
    keyId: string | undefined,
    keyBudget: BudgetLimits | undefined,
    team: string | undefined,
  ): BudgetLine[];
  /** Reserves `costMicros` on every line, all or none. */
  reserve(lines: readonly BudgetLine[], costMicros: number): Promise<BudgetDecision>;
  /** Charges the real cost: refunds (or adds) the difference to the reservation on every line. */
  settle(reservation: BudgetReservation, actualMicros: number): Promise<void>;
  /** What each line holds now. */
  status(lines: readonly BudgetLine[]): Promise<BudgetStatus[]>;
}

const DAY_MS = 86_400_000;
/**
 * The window of monthly and total budgets: longer than anything will run (35,000 years), so the fixed
 * window never rolls over. Monthly budgets get a new counter per calendar month through their subject.
 */
export const FOREVER_MS = 2 ** 50;

function algorithm(limitMicros: number, period: BudgetPeriod): LimitAlgorithm {
  return {
    kind: "fixed-window",
    limit: limitMicros,
    // Fixed windows are aligned to the epoch: a day window resets at 00:00 UTC, by the store's clock.
    windowMs: period === "daily" ? DAY_MS : FOREVER_MS,
    burst: limitMicros,
  };
}

/** ms from `nowMs` to the next 1st of a month, 00:00 UTC. */
export function msToNextMonth(nowMs: number): number {
  const now = new Date(nowMs);
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) - nowMs;
}

const PERIODS: readonly BudgetPeriod[] = ["daily", "monthly", "total"];

/**
 * Creates the budget ledger: each budget is a fixed-window limit in integer micro-USD on a limiter store,
 * so a request's budgets are reserved in one all-or-nothing store call (atomic across replicas on Redis).
 */
export function createBudgetLedger(options: BudgetLedgerOptions): BudgetLedger {
  const { store, teams = {} } = options;
  const clock = options.clock ?? Date.now;

  const linesOf = (owner: BudgetOwner, limits: BudgetLimits | undefined, nowMs: number): BudgetLine[] => {
    if (limits === undefined) return [];
    const lines: BudgetLine[] = [];
    for (const period of PERIODS) {
      const usd = limits[period];
      if (usd === undefined) continue;
      const limitMicros = usdToMicros(usd);
      const subject = `${owner.kind}=${owner.id}${period === "monthly" ? `,month=${utcMonth(nowMs)}` : ""}`;
      lines.push({
        owner,
        period,
        limitMicros,
        check: { name: `budget.${owner.kind}.${period}`, subject, algorithm: algorithm(limitMicros, period) },
      });
    }
    return lines;
  };

  const consume = (lines: readonly BudgetLine[], costMicros: number): Promise<ConsumeResult> =>
    store.consume(lines.map((line) => ({ ...line.check, cost: costMicros })));

  /**
   * When a line resets (ms since the epoch). Daily windows are the store's (its clock decides the day):
   * its `nowMs` plus the state's `resetMs` is the window's end (floored: `resetMs` was rounded up from a
   * fractional clock).
   */
  const resetAt = (line: BudgetLine, state: LimitState | undefined, storeNowMs: number, nowMs: number) =>
    line.period === "daily"
      ? state === undefined
        ? (Math.floor(nowMs / DAY_MS) + 1) * DAY_MS
        : Math.floor(storeNowMs) + state.resetMs
      : line.period === "monthly"
        ? nowMs + msToNextMonth(nowMs)
        : undefined;

  return {
    store,

    linesFor(keyId, keyBudget, team) {
      const nowMs = clock();
      return [
        ...(keyId === undefined ? [] : linesOf({ kind: "key", id: keyId }, keyBudget, nowMs)),
        ...(team === undefined ? [] : linesOf({ kind: "team", id: team }, teams[team], nowMs)),
      ];
    },

    async reserve(lines, costMicros) {
      if (lines.length === 0) return { allowed: true, reservation: undefined };
      const nowMs = clock();
      // A zero budget is a valid setting ("blocked") but not a valid limit for a store (limits are >= 1).
      const zero = lines.find((line) => line.limitMicros === 0);
      if (zero !== undefined && costMicros > 0) {
        return {
          allowed: false,
          refusal: {
            line: zero,
            remainingMicros: 0,
            costMicros,
            resetAtMs: resetAt(zero, undefined, nowMs, nowMs),
            refusedCount: lines.filter((line) => line.limitMicros === 0).length,
          },
        };
      }
      const live = lines.filter((line) => line.limitMicros > 0);
      if (live.length === 0) return { allowed: true, reservation: undefined };
      const result = await consume(live, costMicros);
      if (result.allowed) {
        return {
          allowed: true,
          reservation: { lines: live, reservedMicros: costMicros, reservedAtMs: result.nowMs },
        };
      }
      // Report the budget that keeps the request out longest: one that never resets, else the latest reset.
      const refused = live
        .map((line, index) => ({ line, state: result.limits[index] }))
        .filter(({ state }) => state !== undefined && !state.allowed)
        .map(({ line, state }) => ({ line, state, reset: resetAt(line, state, result.nowMs, nowMs) }));
      const binding =
        refused.find(({ reset }) => reset === undefined) ??
        refused.reduce((latest, item) => ((item.reset ?? 0) > (latest.reset ?? 0) ? item : latest));
      return {
        allowed: false,
        refusal: {
          line: binding.line,
          remainingMicros: binding.state?.remaining ?? 0,
          costMicros,
          resetAtMs: binding.reset,
          refusedCount: refused.length,
        },
      };
    },

    async settle(reservation, actualMicros) {
      const delta = actualMicros - reservation.reservedMicros;
      if (delta === 0) return;
      await store.adjust(
        reservation.lines.map((line) => ({
          name: line.check.name,
          subject: line.check.subject,
          algorithm: line.check.algorithm,
          delta,
          reservedAtMs: reservation.reservedAtMs,
        })),
      );
    },

    async status(lines) {
      const nowMs = clock();
      const live = lines.filter((line) => line.limitMicros > 0);
      // A zero-cost consume charges nothing and reports what is left.
      const result = live.length === 0 ? undefined : await consume(live, 0);
      return lines.map((line) => {
        const state = result?.limits[live.indexOf(line)];
        const remainingMicros = line.limitMicros === 0 ? 0 : (state?.remaining ?? line.limitMicros);
        const reset = resetAt(line, state, result?.nowMs ?? nowMs, nowMs);
        return {
          owner: line.owner,
          period: line.period,
          limitUsd: line.limitMicros / 1_000_000,
          usedUsd: (line.limitMicros - remainingMicros) / 1_000_000,
          remainingUsd: remainingMicros / 1_000_000,
          ...(reset === undefined ? {} : { resetsAt: new Date(reset).toISOString() }),
        };
      });
    },
  };
}
