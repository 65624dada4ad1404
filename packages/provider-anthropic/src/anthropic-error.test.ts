import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { anthropicStreamError, parseAnthropicError } from "./anthropic-error.js";

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8");
const parse = (status: number, body: string, headers: Record<string, string> = {}) =>
  parseAnthropicError({ status, body, headers }, "anthropic");

describe("parseAnthropicError", () => {
  it("maps a recorded 429 with its message and Retry-After", () => {
    const error = parse(429, fixture("error-rate-limit.json"), {
      "retry-after": "20",
      "request-id": "req_abc",
    });
    expect(error).toMatchObject({
      code: "SWY_ERR_UPSTREAM_RATE_LIMITED",
      status: 429,
      retryable: true,
      retryAfterMs: 20_000,
    });
    expect(error.message).toMatch(
      /^anthropic: This request would exceed the rate limit for your organization/,
    );
    expect(error.message).toMatch(/\(request-id: req_abc\)$/);
  });

  it("maps a recorded 529 overloaded_error to a retryable 503", () => {
    const error = parse(529, fixture("error-overloaded.json"), { "retry-after": "3" });
    expect(error).toMatchObject({
      code: "SWY_ERR_UPSTREAM_OVERLOADED",
      status: 503,
      retryable: true,
      upstreamStatus: 529,
      retryAfterMs: 3000,
      message: "anthropic: Overloaded",
    });
  });

  it("treats an overloaded_error under another status as an overload", () => {
    expect(parse(500, fixture("error-overloaded.json"))).toMatchObject({
      code: "SWY_ERR_UPSTREAM_OVERLOADED",
      upstreamStatus: 500,
    });
  });

  it("keeps the body's request_id in the message of a 404", () => {
    expect(parse(404, fixture("error-not-found.json"))).toMatchObject({
      code: "SWY_ERR_UPSTREAM_NOT_FOUND",
      status: 404,
      message:
        "anthropic: The requested resource could not be found. (request-id: req_011CSHoEeqs5C35K2UUqR7Fy)",
    });
  });

  it.each([
    [400, "SWY_ERR_UPSTREAM_BAD_REQUEST", 400],
    [413, "SWY_ERR_UPSTREAM_BAD_REQUEST", 413],
    [500, "SWY_ERR_UPSTREAM_SERVER", 502],
    [503, "SWY_ERR_UPSTREAM_OVERLOADED", 503],
  ])("maps %i to %s (%i)", (status, code, clientStatus) => {
    const body = JSON.stringify({ type: "error", error: { type: "api_error", message: "upstream words" } });
    expect(parse(status, body)).toMatchObject({
      code,
      status: clientStatus,
      message: "anthropic: upstream words",
    });
  });

  it("never echoes the upstream text of a credentials failure", () => {
    const body = JSON.stringify({
      type: "error",
      error: { type: "authentication_error", message: "invalid x-api-key sk-ant-123" },
    });
    const error = parse(401, body);
    expect(error.code).toBe("SWY_ERR_UPSTREAM_AUTH");
    expect(error.message).not.toContain("sk-ant");
  });

  it("copes with bodies that are not Anthropic errors", () => {
    expect(parse(502, "<html>Bad gateway</html>").message).toBe("anthropic: HTTP 502");
    expect(parse(400, '{"error":"proxy says no"}').message).toBe("anthropic: proxy says no");
    expect(parse(400, '{"message":"plain"}', { "request-id": "not an id!" }).message).toBe(
      "anthropic: plain",
    );
  });
});

describe("anthropicStreamError", () => {
  it("maps the recorded overloaded event", () => {
    const data = JSON.parse(fixture("stream-error-overloaded.sse").split("data: ")[1] as string);
    expect(anthropicStreamError(data, "claude")).toMatchObject({
      code: "SWY_ERR_UPSTREAM_OVERLOADED",
      message: "claude: Overloaded",
    });
  });

  it("falls back to a server error for a shapeless event", () => {
    expect(anthropicStreamError({ type: "error" }, "anthropic")).toMatchObject({
      code: "SWY_ERR_UPSTREAM_SERVER",
      message: "anthropic: error mid-stream",
    });
  });
});
