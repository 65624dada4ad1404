import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parseReplicateError, predictionError, streamErrorMessage } from "./replicate-error.js";

const fixture = (name: string) => readFile(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8");

describe("parseReplicateError", () => {
  it("keeps the throttling detail and Retry-After of a 429", async () => {
    const error = parseReplicateError(
      { status: 429, headers: { "retry-after": "1" }, body: await fixture("error-rate-limit.json") },
      "replicate",
    );
    expect(error.code).toBe("SWY_ERR_UPSTREAM_RATE_LIMITED");
    expect(error.retryAfterMs).toBe(1_000);
    expect(error.message).toBe("replicate: Request was throttled. Expected available in 1 second.");
  });

  it("joins a problem's title and detail and keeps 422 as 422", async () => {
    const error = parseReplicateError(
      { status: 422, headers: {}, body: await fixture("error-validation.json") },
      "replicate",
    );
    expect(error.code).toBe("SWY_ERR_UPSTREAM_BAD_REQUEST");
    expect(error.status).toBe(422);
    expect(error.message).toBe(
      "replicate: Input validation failed: - input.temperature: Must be less than or equal to 5",
    );
  });

  it("never passes the upstream text of a 401 on", async () => {
    const error = parseReplicateError(
      { status: 401, headers: {}, body: await fixture("error-unauthenticated.json") },
      "replicate",
    );
    expect(error.code).toBe("SWY_ERR_UPSTREAM_AUTH");
    expect(error.message).not.toContain("token");
  });

  it("falls back to the status for a body that is not JSON", () => {
    const error = parseReplicateError(
      { status: 503, headers: {}, body: "<html>upstream connect error</html>" },
      "replicate",
    );
    expect(error.code).toBe("SWY_ERR_UPSTREAM_OVERLOADED");
    expect(error.message).toBe("replicate: HTTP 503");
  });
});

describe("prediction and stream errors", () => {
  it("keeps a failed prediction's error text", async () => {
    const error = predictionError(JSON.parse(await fixture("prediction-failed.json")), "replicate");
    expect(error.message).toBe(
      "replicate: the prediction k7zq3ygbx5rm40cgfwnr2hjz1m failed: CUDA error: out of memory",
    );
    expect(error.retryable).toBe(true);
  });

  it("reads an error event's detail, or its raw text", () => {
    expect(streamErrorMessage('{"detail":"boom"}')).toBe("boom");
    expect(streamErrorMessage("plain failure")).toBe("plain failure");
    expect(streamErrorMessage("")).toBe("the prediction failed mid-stream");
  });
});
