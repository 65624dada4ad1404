import { describe, expect, it } from "vitest";
import { SwitchyardError } from "./errors.js";
import { createGateway } from "./gateway.js";
import { silentLogger } from "./logger.js";

describe("Gateway", () => {
  it("has one frozen hooks object", () => {
    const gateway = createGateway({ logger: silentLogger });
    expect(Object.isFrozen(gateway.hooks)).toBe(true);
    expect(() => {
      (gateway.hooks as unknown as Record<string, unknown>).authenticate = null;
    }).toThrow();
  });

  it("refuses malformed and duplicate plugins and providers", () => {
    const gateway = createGateway({ logger: silentLogger });
    expect(() => gateway.use({ name: "", apply() {} })).toThrow(SwitchyardError);
    gateway.use({ name: "p", apply() {} });
    expect(() => gateway.use({ name: "p", apply() {} })).toThrow(/already applied/);
    expect(() => gateway.addProvider({ name: "has space" } as never)).toThrow(/name/);
  });

  it("validates its options once, naming the bad path", () => {
    expect(() => createGateway({ bodyLimitBytes: -1 })).toThrow(/bodyLimitBytes/);
    expect(() => createGateway({ timeouts: { connectMs: 0 } })).toThrow(/timeouts\.connectMs/);
  });

  it("refuses taps and plugins once started", async () => {
    const gateway = createGateway({ logger: silentLogger });
    await gateway.start();
    expect(() => gateway.hooks.requestCompleted.tap("late", () => {})).toThrow(
      expect.objectContaining({ code: "SWY_ERR_PLUGIN_LATE_TAP" }),
    );
    expect(() => gateway.use({ name: "late", apply() {} })).toThrow(/after the gateway started/);
    await gateway.close();
    expect(gateway.state).toBe("closed");
  });

  it("recognises its errors across copies by brand, not instanceof", () => {
    const foreign = Object.assign(new Error("x"), { [Symbol.for("switchyard.error")]: true });
    expect(SwitchyardError.is(foreign)).toBe(true);
    expect(SwitchyardError.is(new Error("x"))).toBe(false);
  });
});
