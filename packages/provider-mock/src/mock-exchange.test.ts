import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { createExchange, type MockExchangeOutcome } from "./mock-exchange.js";

// Just enough of a ServerResponse to drive backpressure and close by hand.
class FakeResponse extends EventEmitter {
  accepting = true;
  written: string[] = [];
  destroyed = false;
  socket = null;

  write(data: string, callback?: () => void): boolean {
    this.written.push(data);
    callback?.();
    return this.accepting;
  }

  destroy(): void {
    this.destroyed = true;
    this.emit("close");
  }
}

function setUp() {
  const response = new FakeResponse();
  const outcomes: MockExchangeOutcome[] = [];
  const exchange = createExchange(response as unknown as ServerResponse, (outcome) => outcomes.push(outcome));
  return { response, outcomes, exchange };
}

describe("createExchange", () => {
  it("waits for drain when the response buffer is full", async () => {
    const { response, exchange } = setUp();
    await expect(exchange.write("a")).resolves.toBe(true);
    response.accepting = false;
    let settled = false;
    const pending = exchange.write("b").then((result) => {
      settled = true;
      return result;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(response.listenerCount("drain")).toBe(1);
    response.emit("drain");
    await expect(pending).resolves.toBe(true);
    expect(response.listenerCount("drain")).toBe(0);
    expect(response.written).toEqual(["a", "b"]);
  });

  it("releases waiting writes and delays when the client goes away, and counts an abort", async () => {
    const { response, outcomes, exchange } = setUp();
    response.accepting = false;
    const write = exchange.write("x");
    const delay = exchange.delay(3_600_000);
    response.emit("close");
    await expect(write).resolves.toBe(false);
    await expect(delay).resolves.toBe(false);
    expect(response.listenerCount("drain")).toBe(0);
    expect(exchange.isOpen).toBe(false);
    expect(outcomes).toEqual(["aborted"]);
    await expect(exchange.write("y")).resolves.toBe(false);
    await expect(exchange.delay(1)).resolves.toBe(false);
  });

  it("counts a finished response once, as completed", () => {
    const { response, outcomes } = setUp();
    response.emit("finish");
    response.emit("close");
    expect(outcomes).toEqual(["completed"]);
  });

  it("counts a deliberate cut as completed", () => {
    const { response, outcomes, exchange } = setUp();
    exchange.cut("partial");
    expect(response.written).toEqual(["partial"]);
    expect(response.destroyed).toBe(true);
    expect(outcomes).toEqual(["completed"]);
  });

  it("resolves a zero delay at once", async () => {
    const { exchange } = setUp();
    await expect(exchange.delay(0)).resolves.toBe(true);
  });
});
