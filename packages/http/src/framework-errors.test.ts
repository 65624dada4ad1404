import { SwitchyardError } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { frameworkErrorResponse } from "./framework-errors.js";

const bodyOf = (error: unknown, headers: Record<string, string> = {}) => {
  const response = frameworkErrorResponse(error, headers);
  return { ...response, json: JSON.parse(response.body as string) };
};

describe("frameworkErrorResponse: errors raised around the gateway get its OpenAI shape", () => {
  it.each([
    // body-parser (express.json())
    [
      { status: 413, type: "entity.too.large", expose: true, message: "request entity too large" },
      413,
      "request_too_large",
    ],
    [
      { status: 400, type: "entity.parse.failed", expose: true, message: "Unexpected token" },
      400,
      "invalid_json",
    ],
    [
      { status: 415, type: "charset.unsupported", expose: true, message: 'unsupported charset "X"' },
      415,
      "unsupported_media_type",
    ],
    // Fastify
    [
      { statusCode: 415, code: "FST_ERR_CTP_INVALID_MEDIA_TYPE", message: "Unsupported Media Type" },
      415,
      "unsupported_media_type",
    ],
    // an app's own http-errors
    [{ status: 401, expose: true, message: "Sign in first." }, 401, "invalid_api_key"],
    [{ status: 403, expose: true, message: "Not your team." }, 403, "forbidden"],
    [{ status: 418, expose: true, message: "I'm a teapot" }, 418, "invalid_request"],
    [{ status: 503, message: "db down" }, 503, "internal_error"],
    [new Error("password=hunter2"), 500, "internal_error"],
    ["a string", 500, "internal_error"],
  ])("%o -> %i %s", (error, status, code) => {
    const response = bodyOf(error);
    expect(response.status).toBe(status);
    expect(response.json).toMatchObject({ error: { code, type: expect.any(String), param: null } });
    expect(response.headers["content-type"]).toBe("application/json");
    expect(response.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("shows a 4xx message the error lets out, never a 5xx one or an unexposed one", () => {
    expect(bodyOf({ status: 401, expose: true, message: "Sign in first." }).json.error.message).toBe(
      "Sign in first.",
    );
    expect(bodyOf({ status: 400, expose: false, message: "secret detail" }).json.error.message).not.toContain(
      "secret",
    );
    expect(JSON.stringify(bodyOf(new Error("password=hunter2")).json)).not.toContain("hunter2");
  });

  it("sends a SwitchyardError as it is, with its headers and Retry-After", () => {
    const error = new SwitchyardError("SWY_ERR_RATE_LIMITED", "Slow down.", {
      retryAfterMs: 1_500,
      headers: { "x-ratelimit-remaining-requests": "0" },
    });
    const response = bodyOf(error, { "x-request-id": "trace-1" });
    expect(response.status).toBe(429);
    expect(response.json.error).toMatchObject({ code: "rate_limit_exceeded", message: "Slow down." });
    expect(response.headers).toMatchObject({
      "retry-after": "2",
      "x-ratelimit-remaining-requests": "0",
      "x-request-id": "trace-1",
    });
  });

  it("keeps string headers the error carries (http-errors' `headers`)", () => {
    const response = bodyOf({
      status: 401,
      expose: true,
      message: "no",
      headers: { "WWW-Authenticate": "Bearer" },
    });
    expect(response.headers["www-authenticate"]).toBe("Bearer");
  });
});
