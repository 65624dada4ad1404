import { describe, expect, it } from "vitest";
import { assertValidFault, createFaultSource, faultErrorBody, type MockFault } from "./mock-faults.js";

const unavailable: MockFault = { kind: "status", status: 503 };
const reset: MockFault = { kind: "reset" };

describe("createFaultSource", () => {
  it("gives no fault without configuration", () => {
    const source = createFaultSource();
    expect(Array.from({ length: 10 }, () => source.next())).toEqual(Array(10).fill(undefined));
  });

  it("uses queued faults once each, in order, before the standing rate", () => {
    const source = createFaultSource({ rate: 1, kinds: [unavailable] });
    source.enqueue(reset);
    source.enqueue({ kind: "hang" });
    expect(source.next()).toBe(reset);
    expect(source.next()).toEqual({ kind: "hang" });
    expect(source.next()).toBe(unavailable);
  });

  it("repeats the same sequence for the same seed", () => {
    const draw = (seed: number) => {
      const source = createFaultSource({ rate: 0.5, kinds: [unavailable, reset], seed });
      return Array.from({ length: 50 }, () => source.next()?.kind ?? "none");
    };
    const sequence = draw(42);
    expect(draw(42)).toEqual(sequence);
    expect(draw(43)).not.toEqual(sequence);
    expect(new Set(sequence)).toEqual(new Set(["none", "status", "reset"]));
  });

  it("fails about the configured share of requests", () => {
    const source = createFaultSource({ rate: 0.25, kinds: [unavailable] });
    const failures = Array.from({ length: 2000 }, () => source.next()).filter(Boolean).length;
    expect(failures).toBeGreaterThan(400);
    expect(failures).toBeLessThan(600);
  });

  it("rejects a bad configuration", () => {
    expect(() => createFaultSource({ rate: 1.5, kinds: [unavailable] })).toThrow(RangeError);
    expect(() => createFaultSource({ rate: 0.5, kinds: [] })).toThrow(RangeError);
    expect(() => createFaultSource({ rate: 0.5, kinds: [{ kind: "status", status: 99 }] })).toThrow(
      RangeError,
    );
    expect(() => createFaultSource().enqueue({ kind: "cut-stream", afterChunks: -1 })).toThrow(RangeError);
  });
});

describe("assertValidFault", () => {
  it("accepts valid faults and rejects out-of-range numbers", () => {
    expect(() => assertValidFault({ kind: "slow-first-byte", delayMs: 10 })).not.toThrow();
    expect(() => assertValidFault({ kind: "slow-first-byte", delayMs: Number.NaN })).toThrow(RangeError);
    expect(() => assertValidFault({ kind: "status", status: 429, retryAfterMs: -1 })).toThrow(RangeError);
    expect(() => assertValidFault({ kind: "explode" } as unknown as MockFault)).toThrow(RangeError);
  });
});

describe("faultErrorBody", () => {
  it.each([
    [429, "requests", "rate_limit_exceeded"],
    [500, "server_error", "server_error"],
    [503, "server_error", "overloaded"],
    [401, "invalid_request_error", "invalid_api_key"],
    [418, "invalid_request_error", null],
    [599, "server_error", "server_error"],
  ])("gives status %i type %s and code %s", (status, type, code) => {
    expect(faultErrorBody(status).error).toMatchObject({ type, code, param: null });
  });
});
