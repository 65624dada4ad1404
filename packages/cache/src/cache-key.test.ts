import type { CanonicalRequest } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import {
  type CacheKeyInput,
  cacheKey,
  canonicalJson,
  DEFAULT_IGNORED_FIELDS,
  semanticParts,
} from "./cache-key.js";

const base = (request: Record<string, unknown>, extra: Partial<CacheKeyInput> = {}): CacheKeyInput => ({
  namespace: "v1",
  dialect: "openai",
  operation: "chat",
  scope: "principal:a",
  request: request as CanonicalRequest,
  ignoredFields: new Set(DEFAULT_IGNORED_FIELDS),
  ...extra,
});

const chat = {
  model: "gpt-x",
  temperature: 0,
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Which platform for the night train?" },
  ],
};

describe("canonicalJson", () => {
  it("sorts keys at every level and drops undefined members", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: undefined, x: null }], c: "s" } })).toBe(
      '{"a":{"c":"s","d":[1,{"x":null,"z":1}]},"b":1}',
    );
  });
});

describe("cacheKey", () => {
  it("is the same whatever the field order and JSON formatting", () => {
    const reordered = JSON.parse(
      `{ "messages" : ${JSON.stringify(
        chat.messages.map((m) => ({ content: m.content, role: m.role })),
        null,
        2,
      )},
         "temperature": 0, "model": "gpt-x" }`,
    );
    expect(cacheKey(base(reordered))).toBe(cacheKey(base(chat)));
  });

  it("changes with the prompt, the sampling parameters, the tools, the model and the stream flags", () => {
    const key = cacheKey(base(chat));
    const variants = [
      { ...chat, temperature: 0.5 },
      { ...chat, model: "gpt-y" },
      { ...chat, messages: [...chat.messages.slice(0, 1), { role: "user", content: "Which platform?" }] },
      { ...chat, tools: [{ type: "function", function: { name: "lookup" } }] },
      { ...chat, stream: true },
      { ...chat, stream: true, stream_options: { include_usage: true } },
    ];
    const keys = new Set(variants.map((variant) => cacheKey(base(variant))));
    expect(keys.size).toBe(variants.length);
    expect(keys.has(key)).toBe(false);
  });

  it("reads stream: false (and stream options without a stream) as no stream", () => {
    const key = cacheKey(base(chat));
    expect(cacheKey(base({ ...chat, stream: false }))).toBe(key);
    expect(cacheKey(base({ ...chat, stream: null, stream_options: { include_usage: true } }))).toBe(key);
  });

  it("ignores fields that never change the answer", () => {
    expect(cacheKey(base({ ...chat, user: "end-user-1", metadata: { a: "b" } }))).toBe(cacheKey(base(chat)));
  });

  it("separates scopes, operations, dialects and namespaces", () => {
    const keys = new Set([
      cacheKey(base(chat)),
      cacheKey(base(chat, { scope: "principal:b" })),
      cacheKey(base(chat, { operation: "completions" })),
      cacheKey(base(chat, { dialect: "anthropic" })),
      cacheKey(base(chat, { namespace: "v2" })),
    ]);
    expect(keys.size).toBe(5);
  });
});

describe("semanticParts", () => {
  it("compares the last user message by meaning and everything before it exactly", () => {
    const parts = semanticParts(base(chat));
    expect(parts?.text).toBe("Which platform for the night train?");
    const other = semanticParts(
      base({
        ...chat,
        messages: [chat.messages[0], { role: "user", content: "Night train: which platform?" }],
      }),
    );
    expect(other?.partition).toBe(parts?.partition);
    const otherSystem = semanticParts(
      base({ ...chat, messages: [{ role: "system", content: "Be long." }, chat.messages[1]] }),
    );
    expect(otherSystem?.partition).not.toBe(parts?.partition);
    expect(semanticParts(base({ ...chat, temperature: 1 }))?.partition).not.toBe(parts?.partition);
  });

  it("joins text parts and refuses images, non-user last messages and embeddings", () => {
    const parts = [
      { type: "text", text: "a" },
      { type: "text", text: "b" },
    ];
    expect(semanticParts(base({ ...chat, messages: [{ role: "user", content: parts }] }))?.text).toBe("a\nb");
    const image = [{ type: "image_url", image_url: { url: "https://x/y.png" } }];
    expect(semanticParts(base({ ...chat, messages: [{ role: "user", content: image }] }))).toBeUndefined();
    expect(
      semanticParts(base({ ...chat, messages: [...chat.messages, { role: "assistant", content: "Five." }] })),
    ).toBeUndefined();
    expect(semanticParts(base({ model: "e", input: "x" }, { operation: "embeddings" }))).toBeUndefined();
  });

  it("takes the prompt of a legacy completion", () => {
    const parts = semanticParts(base({ model: "m", prompt: "Say hi" }, { operation: "completions" }));
    expect(parts?.text).toBe("Say hi");
  });
});
