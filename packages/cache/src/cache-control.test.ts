import { describe, expect, it } from "vitest";
import { parseCacheDirectives } from "./cache-control.js";

describe("parseCacheDirectives", () => {
  it("reads no-cache, no-store and max-age, case-insensitively", () => {
    expect(parseCacheDirectives({ "cache-control": "No-Cache" })).toMatchObject({
      noCache: true,
      noStore: false,
    });
    expect(parseCacheDirectives({ "cache-control": "no-store, max-age=0" })).toMatchObject({
      noCache: false,
      noStore: true,
      maxAgeMs: 0,
    });
    expect(parseCacheDirectives({ "cache-control": "max-age=60" }).maxAgeMs).toBe(60_000);
    expect(parseCacheDirectives({ "cache-control": "max-age=soon" }).maxAgeMs).toBeUndefined();
  });

  it("honours Pragma: no-cache only without Cache-Control", () => {
    expect(parseCacheDirectives({ pragma: "no-cache" }).noCache).toBe(true);
    expect(parseCacheDirectives({ pragma: "no-cache", "cache-control": "max-age=5" }).noCache).toBe(false);
  });

  it("turns the semantic cache off per request", () => {
    expect(parseCacheDirectives({ "x-switchyard-semantic-cache": "off" }).semanticOff).toBe(true);
    expect(parseCacheDirectives({ "x-switchyard-semantic-cache": "on" }).semanticOff).toBe(false);
    expect(parseCacheDirectives({})).toEqual({
      noCache: false,
      noStore: false,
      maxAgeMs: undefined,
      semanticOff: false,
    });
  });
});
