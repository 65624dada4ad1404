import assert from "node:assert/strict";
import type { AlgorithmKind, LimitAlgorithm, LimitState } from "../limit-algorithm.js";
import type { Clock, ConsumeResult, LimitCheck, LimiterStore } from "../limiter-store.js";
import { createTestClock, TEST_CLOCK_START, type TestClock } from "./test-clock.js";

/** What the suite needs from a store under test. */
export interface StoreConformanceHarness {
  /**
   * Creates a fresh, empty store that reads time from `clock` instead of its own clock. Called once per
   * case; the case closes the store when it ends.
   */
  createStore(clock: Clock): LimiterStore | Promise<LimiterStore>;
}

/** One case of the suite. */
export interface StoreConformanceCase {
  readonly name: string;
  /** Runs the case; throws (an `AssertionError`) when the store does not conform. */
  run(harness: StoreConformanceHarness): Promise<void>;
}

const algorithm = (kind: AlgorithmKind, limit: number, windowMs: number, burst = limit): LimitAlgorithm => ({
  kind,
  limit,
  windowMs,
  burst,
});

const check = (
  name: string,
  spec: LimitAlgorithm,
  cost = 1,
  subject = "subject-a",
  leaseId?: string,
): LimitCheck => ({ name, subject, algorithm: spec, cost, ...(leaseId === undefined ? {} : { leaseId }) });

type ExpectedState = Partial<LimitState>;

/** Consumes and compares the verdict and the given fields of each limit's state. */
async function expectConsume(
  store: LimiterStore,
  checks: readonly LimitCheck[],
  expected: { allowed: boolean; limits?: readonly ExpectedState[] },
  label: string,
): Promise<ConsumeResult> {
  const result = await store.consume(checks);
  assert.equal(result.allowed, expected.allowed, `${label}: allowed`);
  assert.equal(result.limits.length, checks.length, `${label}: one state per check`);
  expected.limits?.forEach((fields, index) => {
    const actual = result.limits[index] as LimitState;
    const picked = Object.fromEntries(
      Object.keys(fields).map((field) => [field, actual[field as keyof LimitState]]),
    );
    assert.deepEqual(picked, fields, `${label}: limit #${index}`);
  });
  return result;
}

async function withStore(
  harness: StoreConformanceHarness,
  body: (store: LimiterStore, clock: TestClock) => Promise<void>,
): Promise<void> {
  const clock = createTestClock();
  const store = await harness.createStore(clock.now);
  try {
    await body(store, clock);
  } finally {
    await store.close?.();
  }
}

const defineCase = (
  name: string,
  body: (store: LimiterStore, clock: TestClock) => Promise<void>,
): StoreConformanceCase => ({ name, run: (harness) => withStore(harness, body) });

/**
 * The store conformance suite: the same cases, with an injected clock, for every store. The numbers are
 * the algorithms' (see `algorithms`), so a store that mirrors them in another language (Lua) is held to
 * the same arithmetic as the memory store.
 */
export const storeConformanceCases: readonly StoreConformanceCase[] = Object.freeze([
  defineCase("reports the injected clock as nowMs", async (store, clock) => {
    clock.advance(1234);
    const result = await store.consume([check("clock", algorithm("fixed-window", 5, 1000))]);
    assert.equal(result.nowMs, TEST_CLOCK_START + 1234);
  }),

  defineCase(
    "fixed window: admits up to the limit, then refuses until the window ends",
    async (store, clock) => {
      const spec = algorithm("fixed-window", 3, 1000);
      clock.advance(250);
      for (const remaining of [2, 1, 0]) {
        await expectConsume(
          store,
          [check("fw", spec)],
          { allowed: true, limits: [{ allowed: true, remaining, resetMs: 750, retryAfterMs: 0 }] },
          `request leaving ${remaining}`,
        );
      }
      await expectConsume(
        store,
        [check("fw", spec)],
        { allowed: false, limits: [{ allowed: false, remaining: 0, resetMs: 750, retryAfterMs: 750 }] },
        "4th request",
      );
      clock.advance(749);
      await expectConsume(
        store,
        [check("fw", spec)],
        { allowed: false, limits: [{ retryAfterMs: 1 }] },
        "1 ms before the window ends",
      );
      clock.advance(1);
      await expectConsume(
        store,
        [check("fw", spec)],
        { allowed: true, limits: [{ remaining: 2, resetMs: 1000 }] },
        "next window",
      );
    },
  ),

  defineCase("fixed window: a cost larger than what is left takes nothing", async (store) => {
    const spec = algorithm("fixed-window", 10, 60_000);
    await expectConsume(store, [check("cost", spec, 7)], { allowed: true, limits: [{ remaining: 3 }] }, "7");
    await expectConsume(
      store,
      [check("cost", spec, 4)],
      { allowed: false, limits: [{ remaining: 3, retryAfterMs: 60_000 }] },
      "4 of 3 left",
    );
    await expectConsume(store, [check("cost", spec, 3)], { allowed: true, limits: [{ remaining: 0 }] }, "3");
  }),

  defineCase("a cost above a limit's capacity is refused with retryAfterMs Infinity", async (store) => {
    const specs = [
      algorithm("fixed-window", 5, 1000),
      algorithm("sliding-window", 5, 1000),
      algorithm("token-bucket", 5, 1000, 8),
      algorithm("gcra", 5, 1000, 8),
    ];
    for (const spec of specs) {
      await expectConsume(
        store,
        [check(`huge-${spec.kind}`, spec, spec.burst + 1)],
        { allowed: false, limits: [{ allowed: false, retryAfterMs: Number.POSITIVE_INFINITY }] },
        spec.kind,
      );
      await expectConsume(
        store,
        [check(`huge-${spec.kind}`, spec, spec.burst)],
        { allowed: true, limits: [{ remaining: 0 }] },
        `${spec.kind} at capacity`,
      );
    }
  }),

  defineCase(
    "sliding window: weighs the previous window by how much of it still overlaps",
    async (store, clock) => {
      const spec = algorithm("sliding-window", 10, 1000);
      for (let index = 0; index < 10; index++) {
        await expectConsume(store, [check("sw", spec)], { allowed: true }, `request ${index + 1}`);
      }
      // Only the next window has room: 10 in this one slide out until 9 + 1 fit, 100 ms into the next.
      await expectConsume(
        store,
        [check("sw", spec)],
        { allowed: false, limits: [{ remaining: 0, retryAfterMs: 1100, resetMs: 2000 }] },
        "11th request",
      );
      clock.advance(1250);
      // 750 ms of the previous window overlap: estimate 10 * 0.75 = 7.5, so 2 fit and a 3rd does not.
      await expectConsume(
        store,
        [check("sw", spec, 2)],
        { allowed: true, limits: [{ remaining: 0, resetMs: 1750 }] },
        "2 at 250 ms",
      );
      await expectConsume(
        store,
        [check("sw", spec)],
        { allowed: false, limits: [{ remaining: 0, retryAfterMs: 50 }] },
        "1 more at 250 ms",
      );
      clock.advance(50);
      await expectConsume(store, [check("sw", spec)], { allowed: true }, "1 more at 300 ms");
    },
  ),

  defineCase("token bucket: bursts to capacity, then refills at the rate", async (store, clock) => {
    const spec = algorithm("token-bucket", 2, 1000, 4);
    for (const remaining of [3, 2, 1, 0]) {
      await expectConsume(
        store,
        [check("tb", spec)],
        { allowed: true, limits: [{ remaining }] },
        `leaving ${remaining}`,
      );
    }
    await expectConsume(
      store,
      [check("tb", spec)],
      { allowed: false, limits: [{ remaining: 0, retryAfterMs: 500, resetMs: 2000 }] },
      "5th",
    );
    clock.advance(250);
    await expectConsume(
      store,
      [check("tb", spec)],
      { allowed: false, limits: [{ retryAfterMs: 250 }] },
      "+250",
    );
    clock.advance(250);
    await expectConsume(
      store,
      [check("tb", spec)],
      { allowed: true, limits: [{ remaining: 0, resetMs: 2000 }] },
      "+500",
    );
    clock.advance(10_000);
    await expectConsume(store, [check("tb", spec, 4)], { allowed: true }, "full again after idling");
  }),

  defineCase("gcra: admits the burst, then spaces units at the rate", async (store, clock) => {
    const spec = algorithm("gcra", 4, 1000);
    for (const remaining of [3, 2, 1, 0]) {
      await expectConsume(
        store,
        [check("gcra", spec)],
        { allowed: true, limits: [{ remaining }] },
        `leaving ${remaining}`,
      );
    }
    await expectConsume(
      store,
      [check("gcra", spec)],
      { allowed: false, limits: [{ remaining: 0, retryAfterMs: 250, resetMs: 1000 }] },
      "5th",
    );
    clock.advance(250);
    await expectConsume(
      store,
      [check("gcra", spec)],
      { allowed: true, limits: [{ remaining: 0, resetMs: 1000 }] },
      "+250",
    );
    // A rate that does not divide the window: 3 per second, a burst of 3, no unit lost to rounding.
    const thirds = algorithm("gcra", 3, 1000);
    for (let index = 0; index < 3; index++) {
      await expectConsume(store, [check("thirds", thirds)], { allowed: true }, `third ${index + 1}`);
    }
    await expectConsume(
      store,
      [check("thirds", thirds)],
      { allowed: false, limits: [{ retryAfterMs: 334 }] },
      "4th third",
    );
    clock.advance(334);
    await expectConsume(store, [check("thirds", thirds)], { allowed: true }, "4th third later");
  }),

  defineCase("concurrency: holds leases until released or expired", async (store, clock) => {
    const spec = algorithm("concurrency", 2, 10_000);
    await expectConsume(
      store,
      [check("cc", spec, 1, "s", "lease-a")],
      { allowed: true, limits: [{ remaining: 1 }] },
      "a",
    );
    clock.advance(100);
    await expectConsume(
      store,
      [check("cc", spec, 1, "s", "lease-b")],
      { allowed: true, limits: [{ remaining: 0 }] },
      "b",
    );
    await expectConsume(
      store,
      [check("cc", spec, 1, "s", "lease-c")],
      { allowed: false, limits: [{ remaining: 0, retryAfterMs: 1000, resetMs: 9900 }] },
      "c while a and b are held",
    );
    await store.adjust([
      {
        name: "cc",
        subject: "s",
        algorithm: spec,
        delta: -1,
        reservedAtMs: TEST_CLOCK_START,
        leaseId: "lease-a",
      },
    ]);
    clock.advance(100);
    await expectConsume(store, [check("cc", spec, 1, "s", "lease-c")], { allowed: true }, "c after a ended");
    // b (taken at +100) expires at +10100 without being released; c (taken at +200) is still held.
    clock.advance(9_950);
    await expectConsume(
      store,
      [check("cc", spec, 1, "s", "lease-d")],
      { allowed: true, limits: [{ remaining: 0 }] },
      "d",
    );
    await expectConsume(
      store,
      [check("cc", spec, 1, "s", "lease-e")],
      { allowed: false, limits: [{ retryAfterMs: 50 }] },
      "e: c expires in 50 ms",
    );
  }),

  defineCase("all-or-nothing: a refused request charges none of its limits", async (store) => {
    // Several subjects too: a store that spreads subjects (Redis Cluster) must still charge all or none.
    const roomy = [
      check("aon-fw", algorithm("fixed-window", 5, 60_000), 1, "principal=a"),
      check("aon-sw", algorithm("sliding-window", 5, 60_000), 1, "principal=a"),
      check("aon-tb", algorithm("token-bucket", 5, 60_000), 1, "team=t"),
      check("aon-gcra", algorithm("gcra", 5, 60_000), 1, "model=m"),
      check("aon-cc", algorithm("concurrency", 1, 60_000), 1, "global", "lease-refused"),
    ];
    const tight = check("aon-tight", algorithm("fixed-window", 1, 60_000), 1, "route=chat");
    await expectConsume(store, [tight], { allowed: true }, "fill the tight limit");
    await expectConsume(
      store,
      [...roomy, tight],
      {
        allowed: false,
        limits: [
          { allowed: true, remaining: 5 },
          { allowed: true, remaining: 5 },
          { allowed: true, remaining: 5 },
          { allowed: true, remaining: 5 },
          { allowed: true, remaining: 1 },
          { allowed: false, remaining: 0 },
        ],
      },
      "refused by the tight limit",
    );
    // Had the refused request charged them, each would now have 3 left (and the lease would be held).
    await expectConsume(
      store,
      roomy.map((item) => (item.leaseId === undefined ? item : { ...item, leaseId: "lease-next" })),
      {
        allowed: true,
        limits: [{ remaining: 4 }, { remaining: 4 }, { remaining: 4 }, { remaining: 4 }, { remaining: 0 }],
      },
      "the roomy limits afterwards",
    );
  }),

  defineCase("limits are independent per name, per algorithm and per subject", async (store) => {
    const spec = algorithm("fixed-window", 1, 60_000);
    await expectConsume(store, [check("iso", spec, 1, "alice")], { allowed: true }, "alice");
    await expectConsume(store, [check("iso", spec, 1, "alice")], { allowed: false }, "alice again");
    await expectConsume(store, [check("iso", spec, 1, "bob")], { allowed: true }, "bob");
    await expectConsume(store, [check("iso-2", spec, 1, "alice")], { allowed: true }, "another limit");
    await expectConsume(
      store,
      [check("iso", algorithm("sliding-window", 1, 60_000), 1, "alice")],
      { allowed: true },
      "same name, another algorithm",
    );
    await expectConsume(
      store,
      [check("iso", spec, 1, "ali{ce}:x")],
      { allowed: true },
      "a subject with braces and colons",
    );
  }),

  defineCase(
    "adjust: refunds give back to the window they came from, late charges take more",
    async (store, clock) => {
      const spec = algorithm("fixed-window", 10, 1000);
      const reservation = await store.consume([check("adj", spec, 8)]);
      await store.adjust([
        { name: "adj", subject: "subject-a", algorithm: spec, delta: -5, reservedAtMs: reservation.nowMs },
      ]);
      await expectConsume(
        store,
        [check("adj", spec, 7)],
        { allowed: true, limits: [{ remaining: 0 }] },
        "after refund",
      );
      await store.adjust([
        { name: "adj", subject: "subject-a", algorithm: spec, delta: -2, reservedAtMs: reservation.nowMs },
      ]);
      await store.adjust([
        { name: "adj", subject: "subject-a", algorithm: spec, delta: 3, reservedAtMs: reservation.nowMs },
      ]);
      await expectConsume(
        store,
        [check("adj", spec)],
        { allowed: false, limits: [{ remaining: 0 }] },
        "after charge",
      );
      clock.advance(1000);
      // The window the reservation came from is over: the refund has nothing to give back...
      await store.adjust([
        { name: "adj", subject: "subject-a", algorithm: spec, delta: -6, reservedAtMs: reservation.nowMs },
      ]);
      await expectConsume(store, [check("adj", spec, 10)], { allowed: true }, "a refund to a past window");
      clock.advance(1000);
      // ...but a late charge still counts, in the current window.
      await store.adjust([
        { name: "adj", subject: "subject-a", algorithm: spec, delta: 4, reservedAtMs: reservation.nowMs },
      ]);
      await expectConsume(
        store,
        [check("adj", spec, 7)],
        { allowed: false, limits: [{ remaining: 6 }] },
        "a late charge for a past window",
      );
    },
  ),

  defineCase("adjust: every algorithm takes refunds and late charges", async (store, clock) => {
    const specs = [
      algorithm("sliding-window", 10, 60_000),
      algorithm("token-bucket", 10, 60_000),
      algorithm("gcra", 10, 60_000),
    ];
    for (const spec of specs) {
      const name = `adj-${spec.kind}`;
      const reservation = await expectConsume(
        store,
        [check(name, spec, 10)],
        { allowed: true, limits: [{ remaining: 0 }] },
        `${spec.kind}: reserve all`,
      );
      await store.adjust([
        { name, subject: "subject-a", algorithm: spec, delta: -4, reservedAtMs: reservation.nowMs },
      ]);
      await expectConsume(
        store,
        [check(name, spec, 4)],
        { allowed: true, limits: [{ remaining: 0 }] },
        `${spec.kind}: refunded 4`,
      );
      await expectConsume(store, [check(name, spec)], { allowed: false }, `${spec.kind}: no more`);
    }
    // Sliding window: a refund to the previous window lowers its weight in the current estimate.
    const spec = specs[0] as LimitAlgorithm;
    const reserved = await store.consume([check("adj-prev", spec, 10)]);
    clock.set(Math.floor(reserved.nowMs / 60_000) * 60_000 + 60_000 + 30_000);
    await expectConsume(
      store,
      [check("adj-prev", spec)],
      { allowed: true, limits: [{ remaining: 4 }] },
      "half overlap",
    );
    await store.adjust([
      { name: "adj-prev", subject: "subject-a", algorithm: spec, delta: -10, reservedAtMs: reserved.nowMs },
    ]);
    await expectConsume(
      store,
      [check("adj-prev", spec)],
      { allowed: true, limits: [{ remaining: 8 }] },
      "after refund",
    );
    // Token bucket: a late charge puts the bucket in debt, paid off by the refill.
    const bucket = algorithm("token-bucket", 10, 1000);
    const taken = await store.consume([check("debt", bucket, 10)]);
    await store.adjust([
      { name: "debt", subject: "subject-a", algorithm: bucket, delta: 5, reservedAtMs: taken.nowMs },
    ]);
    await expectConsume(
      store,
      [check("debt", bucket)],
      { allowed: false, limits: [{ remaining: 0, retryAfterMs: 600, resetMs: 1500 }] },
      "in debt",
    );
  }),

  defineCase("concurrent consumes are atomic: exactly the limit is admitted", async (store) => {
    const spec = algorithm("fixed-window", 15, 60_000);
    const results = await Promise.all(
      Array.from({ length: 40 }, () => store.consume([check("race", spec), check("race-2", spec)])),
    );
    assert.equal(results.filter((result) => result.allowed).length, 15);
    const leases = algorithm("concurrency", 3, 60_000);
    const held = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        store.consume([check("race-cc", leases, 1, "s", `lease-${index}`)]),
      ),
    );
    assert.equal(held.filter((result) => result.allowed).length, 3);
  }),
]);

/**
 * Registers every case with a test runner's `it`/`test`:
 * `defineStoreConformance({ createStore: (clock) => createMyStore({ clock }) }, it)`.
 */
export function defineStoreConformance(
  harness: StoreConformanceHarness,
  test: (name: string, body: () => Promise<void>) => void,
): void {
  for (const testCase of storeConformanceCases) test(testCase.name, () => testCase.run(harness));
}
