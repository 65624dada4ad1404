import { describe, expect, it } from "vitest";
import {
  buildToolArguments,
  chatMessageText,
  choiceSeed,
  countChatPromptTokens,
  countTokens,
  createSeededRandom,
  generateReplyText,
  hashText,
  limitCompletion,
  MOCK_WORDS,
  splitTokens,
} from "./mock-model.js";

describe("countTokens", () => {
  it.each([
    ["", 0],
    ["   \n\t", 0],
    ["hello", 1],
    ["hello world", 2],
    ["Hello, world!", 4],
    ['{"a":1}', 7],
    ["snake_case and 42", 3],
    ["café naïve", 2],
    ["日本語", 1],
    ["a 🚂 b", 3],
  ])("counts %j as %i tokens", (text, expected) => {
    expect(countTokens(text)).toBe(expected);
  });
});

describe("splitTokens", () => {
  const samples = [
    "",
    "  ",
    "hello",
    " hello  world ",
    "Hello, world!",
    '{"city":"mock"}',
    "a 🚂 b\n",
    "x\u00a0y",
  ];

  it.each(samples)("joins back to %j", (text) => {
    expect(splitTokens(text).join("")).toBe(text);
  });

  it("makes one piece per token, whitespace leading", () => {
    expect(splitTokens(" hello  world ")).toEqual([" hello", "  world "]);
    expect(splitTokens("Hello, world!")).toEqual(["Hello", ",", " world", "!"]);
  });

  it("agrees with countTokens", () => {
    for (const text of samples.filter((sample) => countTokens(sample) > 0)) {
      expect(splitTokens(text)).toHaveLength(countTokens(text));
    }
  });

  it("keeps a text without tokens as one piece", () => {
    expect(splitTokens("  ")).toEqual(["  "]);
    expect(splitTokens("")).toEqual([]);
  });
});

describe("hashText", () => {
  it("is 32-bit FNV-1a", () => {
    expect(hashText("")).toBe(0x811c9dc5);
    expect(hashText("a")).toBe(0xe40c292c);
    expect(hashText("foobar")).toBe(0xbf9cf968);
  });
});

describe("createSeededRandom", () => {
  it("repeats for a seed and differs between seeds", () => {
    const first = createSeededRandom(7);
    const second = createSeededRandom(7);
    const other = createSeededRandom(8);
    const sequence = Array.from({ length: 5 }, () => first());
    expect(Array.from({ length: 5 }, () => second())).toEqual(sequence);
    expect(Array.from({ length: 5 }, () => other())).not.toEqual(sequence);
    for (const value of sequence) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });
});

describe("generateReplyText", () => {
  it("gives the requested number of vocabulary words, deterministically", () => {
    const text = generateReplyText(hashText("hi"), 16);
    expect(text).toBe(generateReplyText(hashText("hi"), 16));
    expect(countTokens(text)).toBe(16);
    for (const word of text.split(" ")) expect(MOCK_WORDS).toContain(word);
  });

  it("differs between prompts and between choices, choice 0 keeping the prompt seed", () => {
    const seed = hashText("hi");
    expect(generateReplyText(seed, 16)).not.toBe(generateReplyText(hashText("bye"), 16));
    expect(generateReplyText(choiceSeed(seed, 1), 16)).not.toBe(generateReplyText(seed, 16));
    expect(choiceSeed(seed, 0)).toBe(seed);
  });

  it("gives an empty text for zero tokens", () => {
    expect(generateReplyText(1, 0)).toBe("");
  });
});

describe("limitCompletion", () => {
  const full = "alpha beta gamma delta epsilon";

  it("returns the text unchanged without limits", () => {
    expect(limitCompletion(full)).toEqual({ text: full, pieces: splitTokens(full), finishReason: "stop" });
  });

  it("cuts to maxTokens with finish reason length", () => {
    const completion = limitCompletion(full, { maxTokens: 2 });
    expect(completion.text).toBe("alpha beta");
    expect(completion.pieces).toEqual(["alpha", " beta"]);
    expect(completion.finishReason).toBe("length");
  });

  it("keeps finish reason stop when maxTokens is not reached", () => {
    expect(limitCompletion(full, { maxTokens: 5 }).finishReason).toBe("stop");
  });

  it("cuts before the earliest stop sequence", () => {
    const completion = limitCompletion(full, { stop: ["delta", "beta"] });
    expect(completion.text).toBe("alpha ");
    expect(completion.finishReason).toBe("stop");
    expect(completion.pieces.join("")).toBe("alpha ");
  });

  it("ignores a stop sequence beyond maxTokens and empty stop sequences", () => {
    expect(limitCompletion(full, { maxTokens: 2, stop: ["gamma", ""] })).toMatchObject({
      text: "alpha beta",
      finishReason: "length",
    });
  });

  it("can cut inside a word", () => {
    expect(limitCompletion(full, { stop: ["mma"] }).text).toBe("alpha beta ga");
  });
});

describe("buildToolArguments", () => {
  it("fills required properties by type and leaves optional ones out", () => {
    const parameters = {
      type: "object",
      properties: {
        city: { type: "string" },
        days: { type: "integer" },
        ratio: { type: "number" },
        metric: { type: "boolean" },
        unit: { type: "string", enum: ["celsius", "fahrenheit"] },
        nullable: { type: ["null", "string"] },
        nested: { type: "object", properties: {} },
        note: { type: "string" },
      },
      required: ["city", "days", "ratio", "metric", "unit", "nullable", "nested", "undeclared"],
    };
    expect(JSON.parse(buildToolArguments(parameters))).toEqual({
      city: "mock",
      days: 1,
      ratio: 1,
      metric: true,
      unit: "celsius",
      nullable: "mock",
      nested: null,
      undeclared: null,
    });
  });

  it("gives an empty object without parameters", () => {
    expect(buildToolArguments(undefined)).toBe("{}");
    expect(buildToolArguments({ type: "object", properties: { a: { type: "string" } } })).toBe("{}");
  });
});

describe("countChatPromptTokens", () => {
  it("counts string content, text parts and tool calls", () => {
    const messages = [
      { role: "system", content: "You are terse." },
      { role: "user", content: [{ type: "text", text: "Hello, world!" }, { type: "image_url" }] },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c", type: "function", function: { name: "get_weather", arguments: '{"a":1}' } }],
      },
      { role: "tool", tool_call_id: "c", content: "sunny" },
    ];
    expect(chatMessageText(messages[2])).toBe('get_weather {"a":1}');
    // 4 + 4 + (1 + 7) + 1
    expect(countChatPromptTokens(messages)).toBe(17);
  });
});
