import type { Clock } from "../limiter-store.js";

/**
 * 2026-01-01T00:00:00Z: a start aligned to every window up to a day, so the cases can say where in a
 * window they are.
 */
export const TEST_CLOCK_START = 1_767_225_600_000;

/** A clock that moves only when told to. */
export interface TestClock {
  /** The current time; pass it (bound) to a store as its `clock`. */
  readonly now: Clock;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
  /** Sets the clock. */
  set(ms: number): void;
}

/** Creates a test clock at `startMs`. @default startMs TEST_CLOCK_START */
export function createTestClock(startMs: number = TEST_CLOCK_START): TestClock {
  let current = startMs;
  return {
    now: () => current,
    advance(ms) {
      current += ms;
    },
    set(ms) {
      current = ms;
    },
  };
}
