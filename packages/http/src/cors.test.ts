import { describe, expect, it } from "vitest";
import { createCors, DEFAULT_EXPOSED_HEADERS, withCorsHeaders } from "./cors.js";

const preflightHeaders = (origin: string, requested?: string) => ({
  origin,
  "access-control-request-method": "POST",
  ...(requested === undefined ? {} : { "access-control-request-headers": requested }),
});

describe("createCors: options are checked once, at construction", () => {
  it.each([
    [
      "'*' with credentials",
      { origins: "*", credentials: true },
      /origins: '\*' cannot be combined with credentials/,
    ],
    ["an origin with a path", { origins: ["https://app.example.com/"] }, /origins\.0: an origin is/],
    ["an origin in upper case", { origins: ["https://App.example.com"] }, /origins\.0/],
    ["a non-http origin", { origins: ["ftp://app.example.com"] }, /origins\.0/],
    ["an empty list", { origins: [] }, /origins/],
    ["a bad header name", { origins: "*", allowedHeaders: ["bad header"] }, /allowedHeaders\.0/],
    ["a negative max age", { origins: "*", maxAgeSeconds: -1 }, /maxAgeSeconds/],
    ["an unknown option", { origins: "*", allowOrigin: "*" }, /allowOrigin|Unrecognized/],
  ])("refuses %s", (_name, options, message) => {
    expect(() => createCors(options as never)).toThrow(message);
    try {
      createCors(options as never);
    } catch (error) {
      expect(error).toMatchObject({ code: "SWY_ERR_CONFIG_INVALID" });
    }
  });

  it("accepts a list, '*' without credentials, and a predicate", () => {
    expect(createCors({ origins: ["https://a.example", "http://localhost:5173"] })).toBeDefined();
    expect(createCors({ origins: "*" })).toBeDefined();
    expect(createCors({ origins: (origin) => origin.endsWith(".example"), credentials: true })).toBeDefined();
  });
});

describe("preflight", () => {
  const cors = createCors({ origins: ["https://app.example.com"], credentials: true, maxAgeSeconds: 120 });

  it("is only an OPTIONS request with Access-Control-Request-Method", () => {
    expect(cors.preflight("POST", preflightHeaders("https://app.example.com"))).toBeUndefined();
    expect(cors.preflight("OPTIONS", { origin: "https://app.example.com" })).toBeUndefined();
    expect(cors.preflight("OPTIONS", preflightHeaders("https://app.example.com"))?.status).toBe(204);
  });

  it("allows a listed origin with credentials, methods, max age and the requested headers", () => {
    const answer = cors.preflight(
      "OPTIONS",
      preflightHeaders("https://app.example.com", "Authorization, Content-Type, X-Stainless-Lang"),
    );
    expect(answer).toMatchObject({
      status: 204,
      body: null,
      headers: {
        "access-control-allow-origin": "https://app.example.com",
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "GET, HEAD, POST, OPTIONS",
        "access-control-allow-headers": "authorization, content-type, x-stainless-lang",
        "access-control-max-age": "120",
        vary: "Origin, Access-Control-Request-Headers",
      },
    });
    expect(answer?.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("echoes only well-formed header names", () => {
    const answer = cors.preflight(
      "OPTIONS",
      preflightHeaders("https://app.example.com", "content-type, bad header, x\r\nset-cookie: a"),
    );
    expect(answer?.headers["access-control-allow-headers"]).toBe("content-type");
  });

  it("gives a foreign origin a 204 without any CORS grant", () => {
    const answer = cors.preflight("OPTIONS", preflightHeaders("https://evil.example"));
    expect(answer?.status).toBe(204);
    expect(Object.keys(answer?.headers ?? {}).filter((name) => name.startsWith("access-control-"))).toEqual(
      [],
    );
    expect(answer?.headers.vary).toBe("Origin");
  });

  it("sends a fixed header list when one is configured", () => {
    const fixed = createCors({ origins: "*", allowedHeaders: ["Authorization", "Content-Type"] });
    const answer = fixed.preflight("OPTIONS", preflightHeaders("https://any.example", "x-other"));
    expect(answer?.headers["access-control-allow-headers"]).toBe("authorization, content-type");
    expect(answer?.headers["access-control-allow-origin"]).toBe("*");
    expect(answer?.headers["access-control-allow-credentials"]).toBeUndefined();
    expect(answer?.headers.vary).toBeUndefined();
  });

  it("keeps the client's request id when it is safe", () => {
    const answer = cors.preflight("OPTIONS", {
      ...preflightHeaders("https://app.example.com"),
      "x-request-id": "trace-7",
    });
    expect(answer?.headers["x-request-id"]).toBe("trace-7");
  });
});

describe("response headers", () => {
  it("grant a listed origin, with credentials and the exposed headers", () => {
    const cors = createCors({
      origins: ["https://app.example.com"],
      credentials: true,
      exposedHeaders: ["X-Cost"],
    });
    const headers = cors.responseHeaders({ origin: "https://app.example.com" });
    expect(headers["access-control-allow-origin"]).toBe("https://app.example.com");
    expect(headers["access-control-allow-credentials"]).toBe("true");
    const exposed = headers["access-control-expose-headers"]?.split(", ") ?? [];
    expect(exposed).toEqual([...DEFAULT_EXPOSED_HEADERS, "x-cost"]);
    expect(exposed).toEqual(
      expect.arrayContaining(["x-request-id", "retry-after", "x-ratelimit-reset-tokens"]),
    );
  });

  it("never pair '*' with credentials; '*' needs no Vary", () => {
    const headers = createCors({ origins: "*" }).responseHeaders({ origin: "https://x.example" });
    expect(headers["access-control-allow-origin"]).toBe("*");
    expect(headers["access-control-allow-credentials"]).toBeUndefined();
    expect(headers.vary).toBeUndefined();
  });

  it("ask a predicate about the origin", () => {
    const cors = createCors({ origins: (origin) => origin.endsWith(".trusted.example") });
    expect(cors.responseHeaders({ origin: "https://a.trusted.example" })["access-control-allow-origin"]).toBe(
      "https://a.trusted.example",
    );
    expect(cors.responseHeaders({ origin: "https://untrusted.example" })).toEqual({ vary: "Origin" });
  });

  it("are Vary: Origin alone without an Origin header, so caches keep answers apart", () => {
    const cors = createCors({ origins: ["https://app.example.com"] });
    expect(cors.responseHeaders({})).toEqual({ vary: "Origin" });
  });

  it("merge with a Vary the response already has, and change nothing when CORS is off", () => {
    const cors = createCors({ origins: ["https://app.example.com"] });
    const response = { status: 200, headers: { vary: "Accept" }, body: "{}" };
    expect(withCorsHeaders(cors, { origin: "https://app.example.com" }, response).headers.vary).toBe(
      "Accept, Origin",
    );
    expect(withCorsHeaders(undefined, { origin: "https://app.example.com" }, response)).toBe(response);
  });
});
