import { describe, expect, it } from "vitest";
import type { LimitState } from "./limit-algorithm.js";
import { limitOptionsSchema, resolveLimit } from "./limit-options.js";
import { type AppliedLimitState, formatResetDuration, rateLimitHeaders } from "./rate-limit-headers.js";

const limit = (options: Record<string, unknown>) => resolveLimit(limitOptionsSchema.parse(options));
const state = (fields: Partial<LimitState>): LimitState => ({
  allowed: true,
  remaining: 0,
  resetMs: 0,
  retryAfterMs: 0,
  ...fields,
});

describe("rate-limit headers", () => {
  it("writes durations the way OpenAI does", () => {
    expect(formatResetDuration(0)).toBe("0ms");
    expect(formatResetDuration(249.2)).toBe("250ms");
    expect(formatResetDuration(1000)).toBe("1s");
    expect(formatResetDuration(1500)).toBe("1.5s");
    expect(formatResetDuration(360_000)).toBe("6m0s");
    expect(formatResetDuration(3_723_250)).toBe("1h2m3.25s");
  });

  it("reports the limit that binds hardest per unit, and every limit in the IETF fields", () => {
    const applied: AppliedLimitState[] = [
      {
        limit: limit({ name: "rpm", limit: 100, per: "minute" }),
        state: state({ remaining: 90, resetMs: 30_000 }),
      },
      {
        limit: limit({ name: "rpd", limit: 1000, per: "day" }),
        state: state({ remaining: 50, resetMs: 3_600_000 }),
      },
      {
        limit: limit({
          name: "tpm",
          unit: "tokens",
          limit: 10_000,
          per: "minute",
          algorithm: "token-bucket",
        }),
        state: state({ remaining: 7_000, resetMs: 18_000 }),
      },
      {
        limit: limit({ name: "cc", limit: 4, algorithm: "concurrency" }),
        state: state({ remaining: 3, resetMs: 0 }),
      },
    ];
    expect(rateLimitHeaders(applied, new Set(["openai", "ietf", "ietf-legacy"]))).toEqual({
      // rpd has 5% left, rpm 90%: rpd binds.
      "x-ratelimit-limit-requests": "1000",
      "x-ratelimit-remaining-requests": "50",
      "x-ratelimit-reset-requests": "1h0m0s",
      "x-ratelimit-limit-tokens": "10000",
      "x-ratelimit-remaining-tokens": "7000",
      "x-ratelimit-reset-tokens": "18s",
      "ratelimit-policy":
        '"rpm";q=100;w=60, "rpd";q=1000;w=86400, "tpm";q=10000;w=60;swy-unit="tokens", "cc";q=4;qu="concurrency"',
      ratelimit: '"rpm";r=90;t=30, "rpd";r=50;t=3600, "tpm";r=7000;t=18, "cc";r=3;t=0',
      "ratelimit-limit": "1000",
      "ratelimit-remaining": "50",
      "ratelimit-reset": "3600",
    });
  });

  it("reports a refusing limit over any other, the longest wait first", () => {
    const applied: AppliedLimitState[] = [
      { limit: limit({ name: "a", limit: 10, per: "minute" }), state: state({ remaining: 1 }) },
      {
        limit: limit({ name: "b", limit: 10, per: "minute" }),
        state: state({ allowed: false, retryAfterMs: 5_000 }),
      },
      {
        limit: limit({ name: "c", limit: 10, per: "hour" }),
        state: state({ allowed: false, retryAfterMs: 9_000, remaining: 2, resetMs: 9_000 }),
      },
    ];
    const headers = rateLimitHeaders(applied, new Set(["openai"]));
    expect(headers).toEqual({
      "x-ratelimit-limit-requests": "10",
      "x-ratelimit-remaining-requests": "2",
      "x-ratelimit-reset-requests": "9s",
    });
  });
});
