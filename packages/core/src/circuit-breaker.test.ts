import { describe, expect, it } from "vitest";
import { CircuitBreaker, type CircuitState, defaultCircuitBreakerOptions } from "./circuit-breaker.js";

function breaker(options: Partial<typeof defaultCircuitBreakerOptions> = {}) {
  let now = 0;
  const changes: Array<[CircuitState, CircuitState]> = [];
  const instance = new CircuitBreaker(
    { ...defaultCircuitBreakerOptions, ...options },
    (from, to) => changes.push([from, to]),
    () => now,
  );
  return { instance, changes, advance: (ms: number) => (now += ms) };
}

describe("CircuitBreaker", () => {
  it("opens after consecutive failures, then half-opens after the cool-down", () => {
    const { instance, changes, advance } = breaker({ consecutiveFailures: 3, cooldownMs: 1_000 });
    instance.record(false);
    instance.record(false);
    expect(instance.state).toBe("closed");
    instance.record(false);
    expect(instance.state).toBe("open");
    expect(instance.available()).toBe(false);
    advance(999);
    expect(instance.state).toBe("open");
    advance(1);
    expect(instance.state).toBe("half-open");
    expect(changes).toEqual([
      ["closed", "open"],
      ["open", "half-open"],
    ]);
  });

  it("lets one probe through while half-open; its success closes, its failure re-opens", () => {
    const { instance, advance } = breaker({ consecutiveFailures: 1, cooldownMs: 10 });
    instance.record(false);
    advance(10);
    expect(instance.admit()).toBe(true);
    expect(instance.available()).toBe(false);
    expect(instance.admit()).toBe(false);
    instance.record(false);
    expect(instance.state).toBe("open");
    advance(10);
    expect(instance.admit()).toBe(true);
    instance.record(true);
    expect(instance.state).toBe("closed");
  });

  it("opens on the failure rate over the window, not before the window fills", () => {
    const { instance } = breaker({ consecutiveFailures: 100, failureRate: 0.5, windowSize: 10 });
    for (let index = 0; index < 9; index++) instance.record(index % 2 === 0);
    expect(instance.state).toBe("closed");
    instance.record(false);
    expect(instance.state).toBe("open");
  });

  it("a success resets the streak", () => {
    const { instance } = breaker({ consecutiveFailures: 2, windowSize: 100 });
    for (let index = 0; index < 10; index++) {
      instance.record(false);
      instance.record(true);
    }
    expect(instance.state).toBe("closed");
  });
});
