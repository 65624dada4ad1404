import { describe, expect, it } from "vitest";
import type { RequestContext } from "./context.js";
import { SwitchyardError } from "./errors.js";
import { createGateway } from "./gateway.js";
import type { RetryQuestion } from "./gateway-hooks.js";
import { silentLogger } from "./logger.js";
import { createRetryPlugin } from "./retry-plugin.js";

function decide(question: Partial<RetryQuestion>, options = {}) {
  const gateway = createGateway({ logger: silentLogger, retry: options });
  return gateway.hooks.shouldRetry.call(
    {
      error: new SwitchyardError("SWY_ERR_UPSTREAM_SERVER", "x"),
      attemptOnTarget: 1,
      attemptsTotal: 1,
      hasFallback: false,
      target: {} as never,
      endpoint: {} as never,
      ...question,
    },
    {} as RequestContext,
  );
}

describe("the built-in retry policy", () => {
  it("retries a retryable failure with full-jitter backoff under the cap", () => {
    const decision = decide({}, { baseDelayMs: 100 });
    expect(decision?.action).toBe("retry");
    expect(decision?.action === "retry" && decision.delayMs).toBeLessThanOrEqual(100);
  });

  it("honours Retry-After, and falls back instead when it is longer than the cap", () => {
    const error = new SwitchyardError("SWY_ERR_UPSTREAM_TIMEOUT", "x", { retryAfterMs: 700 });
    expect(decide({ error })).toEqual({ action: "retry", delayMs: 700 });
    const long = new SwitchyardError("SWY_ERR_UPSTREAM_TIMEOUT", "x", { retryAfterMs: 60_000 });
    expect(decide({ error: long, hasFallback: true })).toEqual({ action: "fallback" });
    expect(decide({ error: long, hasFallback: false })).toEqual({ action: "fail" });
  });

  it("leaves a rate-limited or overloaded provider for the fallback at once", () => {
    const error = new SwitchyardError("SWY_ERR_UPSTREAM_RATE_LIMITED", "x", { retryAfterMs: 10 });
    expect(decide({ error, hasFallback: true })).toEqual({ action: "fallback" });
    expect(decide({ error, hasFallback: false })).toEqual({ action: "retry", delayMs: 10 });
  });

  it("stops after maxAttemptsPerTarget and never retries what is not retryable", () => {
    expect(decide({ attemptOnTarget: 2 }, { maxAttemptsPerTarget: 2 })).toEqual({ action: "fail" });
    expect(decide({ attemptOnTarget: 2, hasFallback: true }, { maxAttemptsPerTarget: 2 })).toEqual({
      action: "fallback",
    });
    const error = new SwitchyardError("SWY_ERR_UPSTREAM_BAD_REQUEST", "x");
    expect(decide({ error, hasFallback: false })).toEqual({ action: "fail" });
    // The pipeline offers a fallback only when the route allows it for this failure; the policy never retries it.
    expect(decide({ error, hasFallback: true })).toEqual({ action: "fallback" });
  });

  it("keeps retries within the budget: beyond the floor, a fraction of the requests", () => {
    const gateway = createGateway({
      logger: silentLogger,
      retry: false,
      plugins: [createRetryPlugin({ budget: { ratio: 0.5, minPerSecond: 2 } }, () => 5_000)],
    });
    const ask = () =>
      gateway.hooks.shouldRetry.call(
        {
          error: new SwitchyardError("SWY_ERR_UPSTREAM_SERVER", "x"),
          attemptOnTarget: 1,
          attemptsTotal: 1,
          hasFallback: false,
          target: {} as never,
          endpoint: {} as never,
        },
        {} as RequestContext,
      )?.action;
    // The floor: two retries this second, then nothing until requests fund more.
    expect([ask(), ask(), ask()]).toEqual(["retry", "retry", "fail"]);
    for (let index = 0; index < 4; index++) gateway.events.emit("request:start", {} as RequestContext);
    expect([ask(), ask(), ask()]).toEqual(["retry", "retry", "fail"]);
  });
});
