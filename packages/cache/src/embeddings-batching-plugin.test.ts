import { describe, expect, it } from "vitest";
import { apportion } from "./embeddings-batching-plugin.js";

describe("apportion", () => {
  it("splits a total in proportion, in whole numbers that add up exactly", () => {
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(apportion(100, [3, 1])).toEqual([75, 25]);
    expect(apportion(7, [10, 0, 5])).toEqual([5, 0, 2]);
    const shares = apportion(1_001, [13, 27, 9, 51]);
    expect(shares.reduce((sum, share) => sum + share, 0)).toBe(1_001);
  });

  it("gives nothing out of nothing", () => {
    expect(apportion(0, [1, 2])).toEqual([0, 0]);
    expect(apportion(5, [0, 0])).toEqual([0, 0]);
  });
});
