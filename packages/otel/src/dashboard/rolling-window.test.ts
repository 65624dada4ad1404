import { describe, expect, it } from "vitest";
import { RecentSamples, SecondCounter } from "./rolling-window.js";

describe("SecondCounter", () => {
  it("counts per second and forgets seconds older than its window", () => {
    const counter = new SecondCounter(4);
    counter.add(10_000);
    counter.add(10_500, 2);
    counter.add(11_200);
    counter.add(13_900, 5);
    expect(counter.series(13_999)).toEqual([3, 1, 0, 5]);
    // Second 10 falls out of the window; the slot it used is reused for second 14.
    counter.add(14_100);
    expect(counter.series(14_100)).toEqual([1, 0, 5, 1]);
    expect(counter.series(30_000)).toEqual([0, 0, 0, 0]);
  });

  it("sums the last complete seconds, leaving out the current one", () => {
    const counter = new SecondCounter(11);
    for (let second = 0; second < 11; second++) counter.add(second * 1000, second);
    expect(counter.sum(10_500)).toBe(45);
    expect(counter.sum(10_500, 2)).toBe(8 + 9);
    expect(counter.total(10_500)).toBe(55);
  });
});

describe("RecentSamples", () => {
  it("computes nearest-rank percentiles over the window only", () => {
    const samples = new RecentSamples(1000);
    for (let value = 1; value <= 100; value++) samples.add(50_000, value);
    samples.add(1_000, 10_000);
    expect(samples.percentiles(60_000, 30_000)).toEqual({ p50: 50, p95: 95, p99: 99, count: 100 });
    expect(samples.percentiles(200_000, 30_000)).toEqual({ p50: null, p95: null, p99: null, count: 0 });
  });

  it("keeps only the last `capacity` samples", () => {
    const samples = new RecentSamples(3);
    for (const value of [100, 1, 2, 3]) samples.add(0, value);
    expect(samples.percentiles(0, 1_000)).toMatchObject({ p99: 3, count: 3 });
  });
});
