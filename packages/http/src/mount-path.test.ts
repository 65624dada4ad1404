import { describe, expect, it } from "vitest";
import { normalisePrefix, pathBelow } from "./mount-path.js";

describe("normalisePrefix", () => {
  it.each([
    [undefined, ""],
    ["", ""],
    ["/", ""],
    ["/llm", "/llm"],
    ["/llm/", "/llm"],
    ["llm", "/llm"],
    ["/api/llm//", "/api/llm"],
  ])("%s -> %s", (prefix, expected) => {
    expect(normalisePrefix(prefix)).toBe(expected);
  });
});

describe("pathBelow", () => {
  it.each([
    ["", "/v1/models", "/v1/models"],
    ["/llm", "/llm/v1/chat/completions", "/v1/chat/completions"],
    ["/llm", "/llm/v1/models?limit=2", "/v1/models?limit=2"],
    ["/llm", "/llm", "/"],
    ["/llm", "/llm?x=1", "/?x=1"],
    // Not under the prefix: the whole target, which the gateway answers with its 404.
    ["/llm", "/llmx/v1/models", "/llmx/v1/models"],
    ["/llm", "/other", "/other"],
  ])("below %s, %s is %s", (prefix, target, expected) => {
    expect(pathBelow(prefix, target)).toBe(expected);
  });
});
