import { describe, expect, it } from "vitest";
import { normalise, SemanticIndex } from "./semantic-index.js";

const unit = (vector: number[]) => normalise(vector) as Float32Array;

describe("SemanticIndex", () => {
  it("finds the most similar entry of the same partition at or above the threshold", () => {
    const index = new SemanticIndex(10);
    index.add("a", "p", unit([1, 0, 0]));
    index.add("b", "p", unit([0.9, 0.1, 0]));
    index.add("c", "q", unit([0.95, 0.05, 0]));
    const match = index.search("p", unit([0.92, 0.08, 0]), 0.9);
    expect(match?.key).toBe("b");
    expect(match?.similarity).toBeGreaterThan(0.99);
    expect(index.search("p", unit([0, 1, 0]), 0.9)).toBeUndefined();
    expect(index.search("r", unit([1, 0, 0]), 0.5)).toBeUndefined();
  });

  it("stays within maxEntries, evicting the least recently matched", () => {
    const index = new SemanticIndex(2);
    index.add("a", "p", unit([1, 0]));
    index.add("b", "p", unit([0, 1]));
    expect(index.search("p", unit([1, 0]), 0.99)?.key).toBe("a");
    index.add("c", "p", unit([-1, 0]));
    expect(index.size).toBe(2);
    expect(index.search("p", unit([0, 1]), 0.99)).toBeUndefined();
    expect(index.search("p", unit([1, 0]), 0.99)?.key).toBe("a");
  });

  it("refuses vectors without a direction and skips other dimensions", () => {
    expect(normalise([0, 0])).toBeUndefined();
    expect(normalise([Number.NaN, 1])).toBeUndefined();
    const index = new SemanticIndex(5);
    index.add("a", "p", unit([1, 0, 0]));
    expect(index.search("p", unit([1, 0]), 0.1)).toBeUndefined();
  });
});
