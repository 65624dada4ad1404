import { describe, expect, it } from "vitest";
import { mapAnthropicFinishReason } from "./map-anthropic-finish-reason.js";

describe("mapAnthropicFinishReason", () => {
  it.each([
    ["end_turn", true, "stop"],
    ["stop_sequence", true, "stop"],
    ["max_tokens", true, "length"],
    ["model_context_window_exceeded", true, "length"],
    ["pause_turn", true, "length"],
    ["tool_use", true, "tool_calls"],
    ["tool_use", false, "stop"],
    ["refusal", true, "content_filter"],
    ["a_reason_from_the_future", true, "stop"],
    [null, true, "stop"],
  ] as const)("maps %s (client tool calls: %s) to %s", (reason, hasToolCalls, expected) => {
    expect(mapAnthropicFinishReason(reason, hasToolCalls)).toBe(expected);
  });
});
