import type { RequestContext } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { type LimitOptions, limitOptionsSchema, resolveLimit } from "./limit-options.js";

const resolve = (options: LimitOptions) => resolveLimit(limitOptionsSchema.parse(options));

const context = (fields: Partial<RequestContext> = {}) =>
  ({ model: "gpt-4o", operation: "chat", principal: undefined, ...fields }) as RequestContext;

describe("limit options", () => {
  it("resolves periods, defaults and descriptions", () => {
    const perMinute = resolve({ name: "rpm", limit: 60, per: "minute" });
    expect(perMinute.algorithm).toEqual({ kind: "sliding-window", limit: 60, windowMs: 60_000, burst: 60 });
    expect(perMinute.unit).toBe("requests");
    expect(perMinute.description).toBe("60 requests per minute");
    const bucket = resolve({
      name: "tpm",
      unit: "tokens",
      limit: 1000,
      per: 1500,
      algorithm: "token-bucket",
      burst: 4000,
    });
    expect(bucket.algorithm).toEqual({ kind: "token-bucket", limit: 1000, windowMs: 1500, burst: 4000 });
    expect(bucket.description).toBe("1000 tokens per 1500 ms (bursts of 4000)");
    const leases = resolve({ name: "cc", limit: 4, algorithm: "concurrency" });
    expect(leases.algorithm).toEqual({ kind: "concurrency", limit: 4, windowMs: 600_000, burst: 4 });
    expect(leases.description).toBe("4 requests in flight");
    expect(resolve({ name: "one", limit: 1, per: "hour" }).description).toBe("1 request per hour");
  });

  it("refuses limits that cannot work, naming the field", () => {
    const issues = (options: unknown) =>
      limitOptionsSchema
        .safeParse(options)
        .error?.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    expect(issues({ name: "no-window", limit: 1 })).toEqual(["per: Required: the window of the limit"]);
    expect(issues({ name: "x", limit: 1, per: "minute", burst: 5 })).toEqual([
      "burst: Only token-bucket and gcra take a burst",
    ]);
    expect(issues({ name: "x", unit: "tokens", limit: 1, algorithm: "concurrency" })).toEqual([
      "unit: A concurrency limit counts requests",
    ]);
    expect(issues({ name: "has space", limit: 1, per: "minute" })?.[0]).toMatch(/^name:/);
    expect(issues({ name: "x", limit: 0, per: "minute" })?.[0]).toMatch(/^limit:/);
    expect(issues({ name: "x", limit: 1, per: "week" })?.[0]).toMatch(/^per:/);
  });

  it("keys counters by principal, team, model, route or a function", () => {
    const principal = { id: "key-1", team: "research" };
    expect(resolve({ name: "a", limit: 1, per: "second" }).subjectOf(context({ principal }))).toBe(
      "principal=key-1",
    );
    expect(resolve({ name: "a", limit: 1, per: "second" }).subjectOf(context())).toBe("principal=anonymous");
    const byTeamModel = resolve({ name: "b", limit: 1, per: "second", key: ["team", "model"] });
    expect(byTeamModel.subjectOf(context({ principal }))).toBe("team=research,model=gpt-4o");
    // No team: a team limit does not apply.
    expect(byTeamModel.subjectOf(context({ principal: { id: "solo" } }))).toBeUndefined();
    expect(resolve({ name: "c", limit: 1, per: "second", key: "route" }).subjectOf(context())).toBe(
      "route=chat",
    );
    expect(resolve({ name: "d", limit: 1, per: "second", key: "global" }).subjectOf(context())).toBe(
      "global",
    );
    const custom = resolve({
      name: "e",
      limit: 1,
      per: "second",
      key: (request) => request.headers["x-tenant"],
    });
    expect(custom.subjectOf(context({ headers: { "x-tenant": "acme" } }))).toBe("acme");
    expect(custom.subjectOf(context({ headers: {} }))).toBeUndefined();
    expect(resolve({ name: "f", limit: 1, per: "second", models: ["gpt-4o"] }).models).toEqual(
      new Set(["gpt-4o"]),
    );
  });
});
