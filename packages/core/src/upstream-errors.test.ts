import { describe, expect, it } from "vitest";
import { parseRetryAfter, upstreamStatusError } from "./upstream-errors.js";

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it.each([
    [{ "retry-after": "3" }, 3_000],
    [{ "retry-after": "0.5" }, 500],
    [{ "retry-after-ms": "250", "retry-after": "9" }, 250],
    [{ "retry-after": "Thu, 01 Jan 2026 00:00:04 GMT" }, 4_000],
    [{ "retry-after": "Wed, 31 Dec 2025 23:59:00 GMT" }, 0],
    [{ "retry-after": "soon" }, undefined],
    [{}, undefined],
  ])("%j -> %s", (headers, expected) => {
    expect(parseRetryAfter(headers, now)).toBe(expected);
  });
});

describe("upstreamStatusError", () => {
  it.each([
    [400, "SWY_ERR_UPSTREAM_BAD_REQUEST", 400, false],
    [422, "SWY_ERR_UPSTREAM_BAD_REQUEST", 422, false],
    [401, "SWY_ERR_UPSTREAM_AUTH", 502, false],
    [403, "SWY_ERR_UPSTREAM_AUTH", 502, false],
    [404, "SWY_ERR_UPSTREAM_NOT_FOUND", 404, false],
    [408, "SWY_ERR_UPSTREAM_TIMEOUT", 504, true],
    [409, "SWY_ERR_UPSTREAM_CONFLICT", 409, true],
    [429, "SWY_ERR_UPSTREAM_RATE_LIMITED", 429, true],
    [500, "SWY_ERR_UPSTREAM_SERVER", 502, true],
    [503, "SWY_ERR_UPSTREAM_OVERLOADED", 503, true],
    [529, "SWY_ERR_UPSTREAM_OVERLOADED", 503, true],
  ])("upstream %i -> %s, %i to the client", (status, code, clientStatus, retryable) => {
    const error = upstreamStatusError(status, "upstream says no", { "retry-after": "1" }, "acme");
    expect(error.code).toBe(code);
    expect(error.status).toBe(clientStatus);
    expect(error.retryable).toBe(retryable);
    expect(error.upstreamStatus).toBe(status);
    expect(error.retryAfterMs).toBe(1_000);
  });

  it("keeps the provider's message, except for credential errors that may quote the key", () => {
    expect(upstreamStatusError(400, "bad max_tokens", {}, "acme").message).toBe("acme: bad max_tokens");
    expect(
      upstreamStatusError(401, "Incorrect API key provided: sk-abc...", {}, "acme").message,
    ).not.toContain("sk-");
  });
});
