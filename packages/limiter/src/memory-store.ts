import { parseOptions } from "@switchyard/core";
import { z } from "zod";
import { algorithms } from "./algorithms/index.js";
import type { LimitState } from "./limit-algorithm.js";
import type { Clock, ConsumeResult, LimitAdjustment, LimitCheck, LimiterStore } from "./limiter-store.js";

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The clock, in ms since the epoch. Tests inject one to drive time.
   * @default performance.timeOrigin + performance.now() (monotonic within the process)
   */
  clock?: Clock;
  /**
   * How often (in clock time) state that has run out is swept from memory. State is also ignored once
   * it has run out, so this bounds memory, not correctness.
   * @default 60000
   */
  sweepIntervalMs?: number;
}

/** The memory store: counters in a Map of this process. */
export interface MemoryStore extends LimiterStore {
  /** Counters held right now (including ones that ran out since the last sweep). */
  readonly size: number;
}

const memoryStoreOptionsSchema = z
  .object({
    clock: z.custom<Clock>((value) => typeof value === "function", "Expected a function").optional(),
    sweepIntervalMs: z.number().int().positive().default(60_000),
  })
  .strict();

interface Entry {
  state: unknown;
  expiresAt: number;
}

const monotonicClock: Clock = () => performance.timeOrigin + performance.now();

function entryKey(name: string, kind: string, subject: string): string {
  return `${name}\u0000${kind}\u0000${subject}`;
}

/**
 * The embedded default store: every limit's state in a Map of this process. Decisions are synchronous,
 * so all-or-nothing is atomic for free. Limits are per process: N replicas with memory stores admit N
 * times the limit. Use `@switchyard/limiter-redis` to share limits between replicas.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const settings = parseOptions(memoryStoreOptionsSchema, options, "memory store");
  const clock = settings.clock ?? monotonicClock;
  const entries = new Map<string, Entry>();
  let nextSweepAt = Number.NEGATIVE_INFINITY;

  const sweep = (nowMs: number) => {
    if (nowMs < nextSweepAt) return;
    nextSweepAt = nowMs + settings.sweepIntervalMs;
    for (const [key, entry] of entries) if (entry.expiresAt <= nowMs) entries.delete(key);
  };
  const stateOf = (key: string, nowMs: number): unknown => {
    const entry = entries.get(key);
    return entry !== undefined && entry.expiresAt > nowMs ? entry.state : undefined;
  };

  return {
    get size() {
      return entries.size;
    },

    async consume(checks: readonly LimitCheck[]): Promise<ConsumeResult> {
      const nowMs = clock();
      sweep(nowMs);
      const keys = checks.map((check) => entryKey(check.name, check.algorithm.kind, check.subject));
      const decisions = checks.map((check, index) =>
        algorithms[check.algorithm.kind].check(
          stateOf(keys[index] as string, nowMs),
          check.algorithm,
          nowMs,
          check.cost,
          check.leaseId,
        ),
      );
      const allowed = decisions.every((decision) => decision.allowed);
      if (allowed) {
        decisions.forEach((decision, index) => {
          entries.set(keys[index] as string, { state: decision.next, expiresAt: nowMs + decision.ttlMs });
        });
      }
      const limits: LimitState[] = decisions.map((decision) => ({
        allowed: decision.allowed,
        remaining: allowed ? decision.remainingAfter : decision.remaining,
        resetMs: allowed ? decision.resetAfterMs : decision.resetMs,
        retryAfterMs: decision.retryAfterMs,
      }));
      return { allowed, nowMs, limits };
    },

    async adjust(adjustments: readonly LimitAdjustment[]): Promise<void> {
      const nowMs = clock();
      for (const adjustment of adjustments) {
        const key = entryKey(adjustment.name, adjustment.algorithm.kind, adjustment.subject);
        const change = algorithms[adjustment.algorithm.kind].adjust(
          stateOf(key, nowMs),
          adjustment.algorithm,
          nowMs,
          adjustment.delta,
          adjustment.reservedAtMs,
          adjustment.leaseId,
        );
        if (change !== undefined) entries.set(key, { state: change.next, expiresAt: nowMs + change.ttlMs });
      }
    },

    async close() {
      entries.clear();
    },
  };
}
