import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parseAzureOpenAIError } from "./azure-openai-error.js";

const fixture = (name: string) => readFile(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8");

describe("parseAzureOpenAIError", () => {
  it("maps a prompt blocked by the content filter to its own code, naming the flagged categories", async () => {
    const error = parseAzureOpenAIError(
      { status: 400, headers: {}, body: await fixture("error-content-filter.json") },
      "azure",
    );
    expect(error.code).toBe("SWY_ERR_UPSTREAM_CONTENT_FILTERED");
    expect(error.status).toBe(400);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/^azure: The response was filtered due to the prompt triggering/);
    expect(error.message).toContain("Flagged: violence (high).");
    expect(error.toBody().error).toMatchObject({
      type: "invalid_request_error",
      code: "content_filter",
      param: "messages",
    });
  });

  it("recognises a filter block by its inner code alone", () => {
    const error = parseAzureOpenAIError(
      {
        status: 400,
        headers: {},
        body: JSON.stringify({
          error: { code: "400", message: "Blocked.", innererror: { code: "ResponsibleAIPolicyViolation" } },
        }),
      },
      "azure",
    );
    expect(error.code).toBe("SWY_ERR_UPSTREAM_CONTENT_FILTERED");
    expect(error.message).toBe("azure: Blocked.");
  });

  it("keeps Azure's named code and message for a missing deployment", async () => {
    const error = parseAzureOpenAIError(
      { status: 404, headers: {}, body: await fixture("error-deployment-not-found.json") },
      "azure",
    );
    expect(error.code).toBe("SWY_ERR_UPSTREAM_NOT_FOUND");
    expect(error.message).toBe(
      "azure: DeploymentNotFound: The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
    );
  });

  it("honours retry-after-ms on a 429 and leaves a numeric code out of the message", async () => {
    const error = parseAzureOpenAIError(
      {
        status: 429,
        headers: { "retry-after-ms": "6500", "retry-after": "7" },
        body: await fixture("error-rate-limit.json"),
      },
      "azure",
    );
    expect(error.code).toBe("SWY_ERR_UPSTREAM_RATE_LIMITED");
    expect(error.retryAfterMs).toBe(6500);
    expect(error.message).toMatch(/^azure: Requests to the ChatCompletions_Create Operation/);
  });

  it("never passes the upstream text of a 401 on", () => {
    const error = parseAzureOpenAIError(
      {
        status: 401,
        headers: {},
        body: '{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint."}}',
      },
      "azure",
    );
    expect(error.code).toBe("SWY_ERR_UPSTREAM_AUTH");
    expect(error.message).not.toContain("subscription key");
  });

  it("falls back to the status for a body that is not Azure's (an HTML gateway page)", () => {
    const error = parseAzureOpenAIError(
      { status: 502, headers: {}, body: "<html><body>Bad Gateway</body></html>" },
      "azure",
    );
    expect(error.code).toBe("SWY_ERR_UPSTREAM_SERVER");
    expect(error.message).toBe("azure: HTTP 502");
  });
});
