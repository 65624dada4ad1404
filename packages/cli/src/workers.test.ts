import { availableParallelism } from "node:os";
import { SwitchyardError } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { parseConfig } from "./load-config.js";
import { assertWorkersAllowed, configForSlot, perWorkerProblems, resolveWorkerCount } from "./workers.js";

const config = (raw: Record<string, unknown> = {}) =>
  parseConfig({ providers: [{ type: "mock" }], ...raw }, {});

function refusal(run: () => void): string {
  try {
    run();
  } catch (error) {
    if (SwitchyardError.is(error)) return error.message;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("resolveWorkerCount", () => {
  it("takes the flag over the config, and auto as the cores this process may use", () => {
    expect(resolveWorkerCount(undefined, 1)).toBe(1);
    expect(resolveWorkerCount("3", 1)).toBe(3);
    expect(resolveWorkerCount(undefined, 4)).toBe(4);
    expect(resolveWorkerCount("auto", 2)).toBe(availableParallelism());
    expect(resolveWorkerCount(undefined, "auto")).toBe(availableParallelism());
  });

  it.each(["0", "-1", "two", "1.5", "2000"])("refuses --workers %s", (flag) => {
    expect(refusal(() => resolveWorkerCount(flag, 1))).toContain("--workers must be a number from 1 to 1024");
  });
});

describe("assertWorkersAllowed", () => {
  const memoryLimits = { rateLimit: { limits: [{ name: "rpm", limit: 10, per: "minute" }] } };

  it("lets one worker keep per-process state", () => {
    expect(() => assertWorkersAllowed(config(memoryLimits), 1, false)).not.toThrow();
  });

  it("refuses memory rate limits with several workers unless per-worker limits are allowed", () => {
    expect(refusal(() => assertWorkersAllowed(config(memoryLimits), 2, false))).toMatch(
      /^2 workers: rateLimit\.store is "memory".*--allow-per-worker-limits/,
    );
    expect(() => assertWorkersAllowed(config(memoryLimits), 2, true)).not.toThrow();
    const shared = {
      rateLimit: { ...memoryLimits.rateLimit, store: { type: "redis", url: "redis://127.0.0.1:6379" } },
    };
    expect(() => assertWorkersAllowed(config(shared), 2, false)).not.toThrow();
  });

  it("refuses Prometheus on the shared port with several workers, even when per-worker limits are allowed", () => {
    const message = refusal(() => assertWorkersAllowed(config({ telemetry: { prometheus: true } }), 3, true));
    expect(message).toContain("telemetry.prometheus is true");
    expect(perWorkerProblems(config({ telemetry: { prometheus: { port: 9464 } } })).fatal).toEqual([]);
  });
});

describe("configForSlot", () => {
  it("moves a Prometheus exporter with its own port to port + slot, and leaves everything else", () => {
    const base = config({ telemetry: { prometheus: { port: 9464 } } });
    expect(configForSlot(base, undefined)).toBe(base);
    expect(configForSlot(base, 0)).toBe(base);
    expect(configForSlot(base, 2).telemetry?.prometheus).toEqual({ port: 9466, host: "127.0.0.1" });
    expect(base.telemetry?.prometheus).toEqual({ port: 9464, host: "127.0.0.1" });
    const plain = config();
    expect(configForSlot(plain, 1)).toBe(plain);
  });
});
