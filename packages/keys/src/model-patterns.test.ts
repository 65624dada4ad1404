import { describe, expect, it } from "vitest";
import { compileModelPatterns } from "./model-patterns.js";

describe("compileModelPatterns", () => {
  it("matches exact names and globs, anchored and case-sensitive", () => {
    const allowed = compileModelPatterns(["mock-1", "gpt-4o*", "claude-?-haiku"]);
    expect(allowed("mock-1")).toBe(true);
    expect(allowed("mock-1-mini")).toBe(false);
    expect(allowed("gpt-4o")).toBe(true);
    expect(allowed("gpt-4o-mini")).toBe(true);
    expect(allowed("openai/gpt-4o")).toBe(false);
    expect(allowed("GPT-4o")).toBe(false);
    expect(allowed("claude-3-haiku")).toBe(true);
    expect(allowed("claude-35-haiku")).toBe(false);
  });

  it("treats regular-expression characters literally", () => {
    const allowed = compileModelPatterns(["a.b*", "x+y"]);
    expect(allowed("a.b-1")).toBe(true);
    expect(allowed("aXb-1")).toBe(false);
    expect(allowed("x+y")).toBe(true);
    expect(allowed("xxy")).toBe(false);
  });

  it("allows everything with '*' and nothing with an empty list", () => {
    expect(compileModelPatterns(["*"])("anything/at-all")).toBe(true);
    expect(compileModelPatterns([])("mock-1")).toBe(false);
  });
});
