import { describe, expect, it } from "vitest";
import { builtinDetectors, customDetector, literalsDetector, luhnValid } from "./detectors.js";
import { createRedactor } from "./redactor.js";

const redactWith = (name: keyof typeof builtinDetectors, text: string) =>
  createRedactor([builtinDetectors[name]], "[{type}]").redact(text);

describe("luhnValid", () => {
  it("accepts test card numbers and refuses a changed digit", () => {
    expect(luhnValid("4111111111111111")).toBe(true);
    expect(luhnValid("4111 1111 1111 1111")).toBe(true);
    expect(luhnValid("5555-5555-5555-4444")).toBe(true);
    expect(luhnValid("378282246310005")).toBe(true);
    expect(luhnValid("4111111111111112")).toBe(false);
    expect(luhnValid("")).toBe(false);
    expect(luhnValid("41x1")).toBe(false);
  });
});

describe("email", () => {
  it.each([
    ["write to john.doe@example.com today", "write to [email] today"],
    ["<a.b+tag@mail.example.co.uk>", "<[email]>"],
    ["end of sentence: ops@corp.io.", "end of sentence: [email]."],
  ])("redacts %j", (text, expected) => {
    expect(redactWith("email", text)).toBe(expected);
  });

  it.each(["no at sign here", "user@localhost", "a@b.c", "@example.com", "x@example.c0m"])(
    "leaves %j alone",
    (text) => {
      expect(redactWith("email", text)).toBe(text);
    },
  );
});

describe("phone", () => {
  it.each([
    ["call +44 20 7946 0958 now", "call [phone] now"],
    ["call +1 (555) 123-4567", "call [phone]"],
    ["E.164: +4915112345678", "E.164: [phone]"],
    ["(555) 123-4567", "[phone]"],
    ["555-123-4567 or 555.123.4567", "[phone] or [phone]"],
  ])("redacts %j", (text, expected) => {
    expect(redactWith("phone", text)).toBe(expected);
  });

  it.each(["on 2024-01-15", "it costs 1,234.56", "order 5551234567", "10.000.000 users", "+1 2 3"])(
    "leaves %j alone",
    (text) => {
      expect(redactWith("phone", text)).toBe(text);
    },
  );
});

describe("card", () => {
  it.each([
    ["pay with 4111111111111111", "pay with [card]"],
    ["pay with 4111 1111 1111 1111.", "pay with [card]."],
    ["amex 3782-822463-10005", "amex [card]"],
    // The expiry after the number is not part of it.
    ["4111111111111111 12/27", "[card] 12/27"],
  ])("redacts %j", (text, expected) => {
    expect(redactWith("card", text)).toBe(expected);
  });

  it.each([
    "order id 4111111111111112",
    "id 1234567890123456",
    "twenty digits 12345678901234567890",
    "short 411111111111",
  ])("leaves %j alone (checksum or length)", (text) => {
    expect(redactWith("card", text)).toBe(text);
  });
});

describe("api-key", () => {
  const keys = [
    "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
    "sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
    "sk_live_abcdefghijklmnop1234",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
    "xoxb-123456789012-abcdefghij",
    "AIzaSyA-abcdefghijklmnopqrstuvwxyz01234",
    "hf_abcdefghijklmnopqrstuvwxyz0123456",
  ];
  it.each(keys)("redacts %s", (key) => {
    expect(redactWith("api-key", `key=${key};`)).toBe("key=[api-key];");
  });

  it.each(["sk-short", "task-abcdefghijklmnopqrstuvwxyz012345", "AKIA123"])("leaves %j alone", (text) => {
    expect(redactWith("api-key", text)).toBe(text);
  });
});

describe("custom and literal detectors", () => {
  it("compiles a pattern given as a string with flags, ignoring g and y", () => {
    const detector = customDetector({ name: "ticket", pattern: "tkt-\\d{4}", flags: "iy" });
    expect(detector.pattern.flags).toBe("gi");
    expect(createRedactor([detector], "<{type}>").redact("see TKT-1234, tkt-99")).toBe(
      "see <ticket>, tkt-99",
    );
  });

  it("applies a validate function", () => {
    const detector = customDetector({
      name: "even",
      pattern: /\d+/,
      validate: (match) => Number(match) % 2 === 0,
    });
    expect(createRedactor([detector], "#").redact("1 2 3 44")).toBe("1 # 3 #");
  });

  it("matches literals case-insensitively, longest first", () => {
    const detector = literalsDetector("deny", ["secret", "Secret Project"]);
    expect(createRedactor([detector], "***").redact("the SECRET project and a secret")).toBe(
      "the *** and a ***",
    );
  });

  it("holds back only a tail that begins a literal", () => {
    const detector = literalsDetector("deny", ["codename"]);
    expect(detector.holdFrom?.("our code", 0)).toBe(4);
    expect(detector.holdFrom?.("our cat", 0)).toBe(7);
  });
});
