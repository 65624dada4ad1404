import { describe, expect, it } from "vitest";
import { formatCostHeader, formatUsd, micros, usageMicros, usdToMicros } from "./pricing.js";

describe("pricing", () => {
  it("prices tokens in whole micro-USD, rounding up once and ignoring float noise", () => {
    // USD per million tokens x tokens is micro-USD.
    expect(micros(1_000, 2.5)).toBe(2_500);
    expect(micros(7, 0.15)).toBe(2); // 1.05 -> 2
    expect(micros(20, 0.15)).toBe(3); // 3.0000000000000004 is 3, not 4
    expect(micros(0, 10)).toBe(0);
  });

  it("charges cached prompt tokens at the cached price, the rest at the input price", () => {
    const price = { inputPerMillion: 2, outputPerMillion: 8, cachedInputPerMillion: 0.5 };
    const usage = {
      prompt_tokens: 1_000,
      completion_tokens: 100,
      total_tokens: 1_100,
      prompt_tokens_details: { cached_tokens: 400 },
    };
    expect(usageMicros(price, usage)).toBe(600 * 2 + 400 * 0.5 + 100 * 8);
    // Without a cached price, cached tokens cost the input price.
    expect(usageMicros({ inputPerMillion: 2, outputPerMillion: 8 }, usage)).toBe(1_000 * 2 + 100 * 8);
    // Embeddings report no completion tokens.
    expect(usageMicros(price, { prompt_tokens: 10, total_tokens: 10 })).toBe(20);
  });

  it("formats amounts for people and for the cost header", () => {
    expect(formatUsd(5_000_000)).toBe("$5.00");
    expect(formatUsd(123)).toBe("$0.000123");
    expect(formatUsd(0)).toBe("$0.00");
    expect(usdToMicros(0.0002)).toBe(200);
    expect(formatCostHeader(0.0000015)).toBe("0.0000015");
    expect(formatCostHeader(2)).toBe("2.0");
    expect(formatCostHeader(1e-12)).toBe("0.0");
  });
});
