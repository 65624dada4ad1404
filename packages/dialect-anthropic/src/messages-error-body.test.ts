import { type ErrorCode, SwitchyardError } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { toMessagesErrorBody } from "./messages-error-body.js";

describe("Anthropic error bodies", () => {
  it.each<[ErrorCode, string]>([
    ["SWY_ERR_REQUEST_INVALID", "invalid_request_error"],
    ["SWY_ERR_HTTP_METHOD_NOT_ALLOWED", "invalid_request_error"],
    ["SWY_ERR_AUTH_INVALID", "authentication_error"],
    ["SWY_ERR_AUTH_FORBIDDEN", "permission_error"],
    ["SWY_ERR_ROUTE_MODEL_NOT_FOUND", "not_found_error"],
    ["SWY_ERR_HTTP_BODY_TOO_LARGE", "request_too_large"],
    ["SWY_ERR_RATE_LIMITED", "rate_limit_error"],
    ["SWY_ERR_UPSTREAM_RATE_LIMITED", "rate_limit_error"],
    ["SWY_ERR_UPSTREAM_OVERLOADED", "overloaded_error"],
    ["SWY_ERR_UPSTREAM_TIMEOUT_TOTAL", "timeout_error"],
    ["SWY_ERR_UPSTREAM_SERVER", "api_error"],
    ["SWY_ERR_INTERNAL", "api_error"],
  ])("writes %s as %s", (code, type) => {
    expect(toMessagesErrorBody(new SwitchyardError(code, "what happened"))).toEqual({
      type: "error",
      error: { type, message: "what happened" },
    });
  });

  it("follows a status overridden on the error (an upstream 402 passed on)", () => {
    const error = new SwitchyardError("SWY_ERR_UPSTREAM_BAD_REQUEST", "pay up", { status: 402 });
    expect(toMessagesErrorBody(error).error.type).toBe("billing_error");
  });
});
