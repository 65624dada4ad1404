import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseGeminiError } from "./gemini-error.js";

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8");
const parse = (status: number, body: string, headers: Record<string, string> = {}) =>
  parseGeminiError({ status, body, headers }, "gemini");

describe("parseGeminiError", () => {
  it("maps a recorded 429 to a rate limit that waits as long as its RetryInfo says", () => {
    const error = parse(429, fixture("error-rate-limit.json"));
    expect(error).toMatchObject({
      code: "SWY_ERR_UPSTREAM_RATE_LIMITED",
      status: 429,
      retryable: true,
      retryAfterMs: 34_400,
      upstreamStatus: 429,
      message: "gemini: You exceeded your current quota, please check your plan. (RESOURCE_EXHAUSTED)",
    });
  });

  it("prefers a Retry-After header over RetryInfo", () => {
    expect(parse(429, fixture("error-rate-limit.json"), { "retry-after": "3" }).retryAfterMs).toBe(3_000);
  });

  it("treats Gemini's 400 for a bad API key as the gateway's credentials failure, without its text", () => {
    const error = parse(400, fixture("error-invalid-api-key.json"));
    expect(error).toMatchObject({
      code: "SWY_ERR_UPSTREAM_AUTH",
      status: 502,
      upstreamStatus: 401,
      message: "gemini: the provider refused the gateway's credentials.",
    });
  });

  it("keeps the message of a recorded 400", () => {
    expect(parse(400, fixture("error-invalid-argument.json"))).toMatchObject({
      code: "SWY_ERR_UPSTREAM_BAD_REQUEST",
      status: 400,
      message: "gemini: Penalty is not enabled for models/gemini-2.5-flash (INVALID_ARGUMENT)",
    });
  });

  it("maps server statuses and reads a body wrapped in an array", () => {
    const body = (code: number, status: string, message: string) =>
      JSON.stringify({ error: { code, status, message } });
    expect(
      parse(503, body(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")),
    ).toMatchObject({
      code: "SWY_ERR_UPSTREAM_OVERLOADED",
      status: 503,
    });
    expect(parse(500, `[${body(500, "INTERNAL", "An internal error has occurred.")}]`)).toMatchObject({
      code: "SWY_ERR_UPSTREAM_SERVER",
      status: 502,
      message: "gemini: An internal error has occurred. (INTERNAL)",
    });
    expect(
      parse(404, body(404, "NOT_FOUND", "models/gemini-9 is not found for API version v1beta.")),
    ).toMatchObject({
      code: "SWY_ERR_UPSTREAM_NOT_FOUND",
      status: 404,
    });
  });

  it("falls back to the HTTP status for a body that is not Google's", () => {
    expect(parse(502, "<html>Bad Gateway</html>")).toMatchObject({
      code: "SWY_ERR_UPSTREAM_SERVER",
      message: "gemini: HTTP 502",
    });
  });
});
