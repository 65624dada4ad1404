import { describe, expect, it } from "vitest";
import { redactSecrets } from "./redact.js";

describe("redactSecrets", () => {
  it("masks credentials after an auth scheme", () => {
    expect(redactSecrets("sent Authorization: Bearer abc.def-123")).toBe(
      "sent Authorization: Bearer [redacted]",
    );
    expect(redactSecrets("basic dXNlcjpwYXNz was refused")).toBe("basic [redacted] was refused");
  });

  it("masks key-shaped tokens and long opaque runs", () => {
    expect(redactSecrets("Incorrect API key provided: sk-proj-abc123XYZ.")).toBe(
      "Incorrect API key provided: [redacted].",
    );
    expect(redactSecrets("key AIzaSyD4f8E2b9C1a7D3e5F6g8H0i2J4k6L8m0N")).toBe("key [redacted]");
    expect(redactSecrets("token 0123456789abcdef0123456789abcdef ok")).toBe("token [redacted] ok");
  });

  it("leaves ordinary messages alone and caps the length", () => {
    expect(redactSecrets("The provider did not answer in time.")).toBe(
      "The provider did not answer in time.",
    );
    const long = redactSecrets("word ".repeat(200), 50);
    expect(long).toHaveLength(51);
    expect(long.endsWith("…")).toBe(true);
  });
});
