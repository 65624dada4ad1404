import { describe, expect, it } from "vitest";
import { builtinDetectors, customDetector, literalsDetector } from "./detectors.js";
import { createRedactor, type Redactor } from "./redactor.js";

const all = createRedactor(Object.values(builtinDetectors), "[{type}]");

const corpus = [
  "Contact john.doe@example.com or +44 20 7946 0958 about card 4111 1111 1111 1111, key sk-proj-abcdefghijklmnopqrstuvwxyz012345.",
  "john.doe@example.com",
  "Mail a.b+tag@mail.example.co.uk, call (555) 123-4567 or 555.123.4567; AKIAIOSFODNN7EXAMPLE is the AWS id.",
  "Order 4111111111111112 is not a card but 5555-5555-5555-4444 12/27 is; so is 378282246310005.",
  "Plain prose without anything to hide, ending with a number 2024 and a dot.",
  "Tokens: ghp_abcdefghijklmnopqrstuvwxyz0123456789 xoxb-123456789012-abcdefghij hf_abcdefghijklmnopqrstuvwxyz0123456",
  "Edge: user@host.c0m, +1 2 3, 10.000.000 users, id 1234567890123456, email@x.io.",
  "tel:+4915112345678;mail:ops@corp.io",
];

function streamed(redactor: Redactor, pieces: readonly string[]): string {
  const stream = redactor.stream();
  let out = "";
  for (const piece of pieces) out += stream.push(piece);
  return out + stream.end();
}

// A small deterministic PRNG (mulberry32) so the random splits are the same on every run.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe("a stream is redacted exactly like the whole text, however it is split", () => {
  it("redacts the corpus as expected when whole", () => {
    expect(all.redact(corpus[0] as string)).toBe(
      "Contact [email] or [phone] about card [card], key [api-key].",
    );
    expect(all.redact(corpus[3] as string)).toBe(
      "Order 4111111111111112 is not a card but [card] 12/27 is; so is [card].",
    );
    expect(all.redact(corpus[4] as string)).toBe(corpus[4]);
  });

  it.each(corpus.map((text, index) => [index, text]))(
    "text %i split in two at every position",
    (_index, text) => {
      const expected = all.redact(text);
      for (let at = 0; at <= text.length; at++) {
        expect(streamed(all, [text.slice(0, at), text.slice(at)]), `split at ${at}`).toBe(expected);
      }
    },
  );

  it.each(corpus.map((text, index) => [index, text]))("text %i one character at a time", (_index, text) => {
    expect(streamed(all, [...text])).toBe(all.redact(text));
  });

  // Alone, so one detector's hold-back rule cannot hide a gap in another's.
  it.each(Object.keys(builtinDetectors))("each detector alone (%s), every two-piece split", (name) => {
    const alone = createRedactor([builtinDetectors[name as keyof typeof builtinDetectors]], "[{type}]");
    for (const text of corpus) {
      const expected = alone.redact(text);
      for (let at = 0; at <= text.length; at++) {
        expect(streamed(alone, [text.slice(0, at), text.slice(at)]), `${text} split at ${at}`).toBe(expected);
      }
    }
  });

  it("random splits into many pieces", () => {
    const next = random(12);
    for (let round = 0; round < 300; round++) {
      const text = corpus[round % corpus.length] as string;
      const pieces: string[] = [];
      let at = 0;
      while (at < text.length) {
        const length = 1 + Math.floor(next() * 12);
        pieces.push(text.slice(at, at + length));
        at += length;
      }
      expect(streamed(all, pieces)).toBe(all.redact(text));
    }
  });

  it("never sends the beginning of an address before it is settled", () => {
    const stream = all.stream();
    const first = stream.push("Write to john.do");
    expect(first).not.toContain("john");
    expect(stream.held).toBeGreaterThan(0);
    const second = stream.push("e@example.com please");
    expect(first + second + stream.end()).toBe("Write to [email] please");
  });

  it("holds back little of ordinary prose: the last word", () => {
    const stream = all.stream();
    let maxHeld = 0;
    for (const word of "The night train leaves from platform nine at ten past eleven tonight".split(
      /(?= )/,
    )) {
      stream.push(word);
      maxHeld = Math.max(maxHeld, stream.held);
    }
    expect(maxHeld).toBeLessThanOrEqual(" tonight".length);
  });
});

describe("custom detectors in streams", () => {
  it("holds back maxLength + 8 characters for a pattern without a hold-back rule, and still matches across pieces", () => {
    const redactor = createRedactor(
      [customDetector({ name: "ticket", pattern: /TKT-\d{6}/, maxLength: 10 })],
      "#",
    );
    const stream = redactor.stream();
    let out = stream.push("prefix text that is long enough TK");
    expect(stream.held).toBe(18);
    out += stream.push("T-123456 done");
    expect(out + stream.end()).toBe("prefix text that is long enough # done");
  });

  it("literal lists split at every position", () => {
    const redactor = createRedactor([literalsDetector("deny", ["Project Falcon", "falconry"])], "***");
    const text = "The project falcon team likes Falconry and PROJECT FALCON.";
    const expected = redactor.redact(text);
    expect(expected).toBe("The *** team likes *** and ***.");
    for (let at = 0; at <= text.length; at++) {
      expect(streamed(redactor, [text.slice(0, at), text.slice(at)])).toBe(expected);
    }
  });

  it("lets a throwing replacement refuse the text, in streams only once the match is settled", () => {
    const redactor = createRedactor([literalsDetector("deny", ["forbidden"])], () => {
      throw new Error("refused");
    });
    expect(() => redactor.redact("a forbidden word")).toThrow("refused");
    const stream = redactor.stream();
    expect(stream.push("a forbid")).toBe("a ");
    expect(() => stream.push("den word")).toThrow("refused");
  });
});
