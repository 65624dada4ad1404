/**
 * A pattern the redactor looks for. Built-in detectors come from {@link builtinDetectors}; custom ones are
 * compiled from options by {@link customDetector}.
 */
export interface Detector {
  /** Short name: shown in replacements as `{type}` and used as a metric label. */
  readonly name: string;
  /** Finds candidates. Compiled with the `g` flag; every quantifier bounded. */
  readonly pattern: RegExp;
  /** The longest text a match can span, in UTF-16 code units. */
  readonly maxLength: number;
  /**
   * Where a match may still be unfinished at the end of `text`: the smallest index at or after `from` from
   * which the rest of `text` could be the beginning of a match (`text.length` when none). A stream holds
   * back the text from there until the next chunk shows how it goes on. Without it, the last
   * `maxLength + 8` characters are held back instead.
   */
  readonly holdFrom?: (text: string, from: number) => number;
  /**
   * Checks a candidate: returns the length of the real match at the candidate's start (at most the
   * candidate's length), or `undefined` when it is not one (e.g. a card number failing the checksum).
   */
  readonly refine?: (candidate: string) => number | undefined;
}

/** The names of the built-in detectors. */
export type BuiltinDetectorName = "email" | "phone" | "card" | "api-key";

/**
 * The Luhn checksum (ISO/IEC 7812) over the digits of `text`, ignoring spaces and dashes: true when the
 * number is a plausible payment card number.
 */
export function luhnValid(text: string): boolean {
  let sum = 0;
  let double = false;
  let digits = 0;
  for (let index = text.length - 1; index >= 0; index--) {
    const code = text.charCodeAt(index);
    if (code === 32 || code === 45) continue;
    if (code < 48 || code > 57) return false;
    let digit = code - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
    digits++;
  }
  return digits > 0 && sum % 10 === 0;
}

/**
 * A `holdFrom` from a RegExp that matches (anchored with `$`) every suffix of a text that could begin a
 * match: the leftmost such suffix at or after `from` is where the hold-back starts.
 */
export function holdFromPartial(partial: RegExp): (text: string, from: number) => number {
  const regex = new RegExp(partial.source, partial.flags.includes("g") ? partial.flags : `${partial.flags}g`);
  return (text, from) => {
    regex.lastIndex = from;
    const match = regex.exec(text);
    return match ? match.index : text.length;
  };
}

const isDigit = (code: number) => code >= 48 && code <= 57;

// A candidate run of 13-19 digits may hold a card followed by more digits (an expiry date: "4111... 12/27"
// is read as one run "4111... 12"). Try the whole run, then each shorter prefix that ends at a separator,
// longest first, and keep the first that passes the checksum.
function refineCard(candidate: string): number | undefined {
  for (let end = candidate.length; end > 0; end--) {
    if (!isDigit(candidate.charCodeAt(end - 1))) continue;
    if (end < candidate.length && isDigit(candidate.charCodeAt(end))) continue;
    const digits = countDigits(candidate, end);
    if (digits < 13) return undefined;
    if (digits <= 19 && luhnValid(candidate.slice(0, end))) return end;
  }
  return undefined;
}

function countDigits(text: string, end: number): number {
  let digits = 0;
  for (let index = 0; index < end; index++) if (isDigit(text.charCodeAt(index))) digits++;
  return digits;
}

// E.164 allows at most 15 digits; fewer than 7 is a short code or a count, not a phone number.
function refinePhone(candidate: string): number | undefined {
  const digits = countDigits(candidate, candidate.length);
  return digits >= 7 && digits <= 15 ? candidate.length : undefined;
}

const EMAIL_LOCAL = "A-Za-z0-9._%+-";
const KEY_CHARS = "A-Za-z0-9_-";

/**
 * The built-in detectors. Each pattern is bounded (so a stream needs to hold back only a bounded tail) and
 * anchored on both sides by a look-around of one character (so a match never starts or ends inside a longer
 * word, number or key).
 *
 * - `email`: `local@domain.tld`, local part up to 64 characters, up to 4 domain labels.
 * - `phone`: international numbers with a `+` and separators (`+44 20 7946 0958`, `+1 (555) 123-4567`),
 *   E.164 (`+4915112345678`), and North American numbers with separators (`(555) 123-4567`,
 *   `555-123-4567`, `555.123.4567`); 7 to 15 digits. Bare digit runs are not phone numbers here.
 * - `card`: 13 to 19 digits, optionally grouped by single spaces or dashes, that pass the Luhn checksum.
 * - `api-key`: common secret formats: OpenAI and Anthropic (`sk-...`), Stripe (`sk_live_...`,
 *   `rk_test_...`), AWS access key ids (`AKIA...`, `ASIA...`), GitHub tokens (`ghp_...`, `github_pat_...`),
 *   Slack (`xoxb-...`), Google API keys (`AIza...`), Hugging Face (`hf_...`).
 */
export const builtinDetectors: Readonly<Record<BuiltinDetectorName, Detector>> = Object.freeze({
  email: Object.freeze({
    name: "email",
    pattern: new RegExp(
      `(?<![${EMAIL_LOCAL}])[${EMAIL_LOCAL}]{1,64}@(?:[A-Za-z0-9-]{1,63}\\.){1,4}[A-Za-z]{2,24}(?![A-Za-z0-9-])`,
      "g",
    ),
    maxLength: 64 + 1 + 4 * 64 + 24,
    // Any run of local-part characters, optionally followed by `@` and domain characters: in prose, the last
    // word is held back until the next chunk shows it is not the start of an address.
    holdFrom: holdFromPartial(
      new RegExp(`(?<![${EMAIL_LOCAL}])[${EMAIL_LOCAL}]{1,64}(?:@[A-Za-z0-9.-]{0,280})?$`, "g"),
    ),
  }),
  phone: Object.freeze({
    name: "phone",
    pattern: new RegExp(
      [
        "(?<![\\w+])(?:",
        // +CC then 2-5 groups, each a separator and digits or an optionally separated (area code).
        "\\+\\d{1,3}(?:[ .-]?\\(\\d{1,4}\\)|[ .-]\\d{1,4}){2,5}",
        // E.164 without separators.
        "|\\+\\d{7,15}",
        // North American: (555) 123-4567, 555-123-4567, 555.123.4567, 555 123 4567.
        "|(?:\\(\\d{3}\\) ?|\\d{3}[ .-])\\d{3}[ .-]\\d{4}",
        ")(?![\\w])",
      ].join(""),
      "g",
    ),
    maxLength: 48,
    holdFrom: holdFromPartial(/(?<![\w+])[+(\d][\d() .-]{0,47}$/g),
    refine: refinePhone,
  }),
  card: Object.freeze({
    name: "card",
    pattern: /(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g,
    maxLength: 19 + 18,
    holdFrom: holdFromPartial(/(?<!\d)\d(?:[ -]?\d){0,18}[ -]?$/g),
    refine: refineCard,
  }),
  "api-key": Object.freeze({
    name: "api-key",
    pattern: new RegExp(
      [
        `(?<![${KEY_CHARS}])(?:`,
        "sk-[A-Za-z0-9_-]{20,200}",
        "|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,200}",
        "|(?:AKIA|ASIA)[A-Z0-9]{16}",
        "|gh[pousr]_[A-Za-z0-9]{36,200}",
        "|github_pat_[A-Za-z0-9_]{22,200}",
        "|xox[abposr]-[A-Za-z0-9-]{10,200}",
        "|AIza[A-Za-z0-9_-]{35}",
        "|hf_[A-Za-z0-9]{30,100}",
        `)(?![${KEY_CHARS}])`,
      ].join(""),
      "g",
    ),
    maxLength: 11 + 200,
    holdFrom: holdFromPartial(new RegExp(`(?<![${KEY_CHARS}])[${KEY_CHARS}]{1,211}$`, "g")),
  }),
});

/** A detector of your own, as options give it. */
export interface CustomDetectorOptions {
  /** Shown in replacements as `{type}`. */
  readonly name: string;
  /** A RegExp, or the source of one (JSON config). Its `g` and `y` flags are ignored. */
  readonly pattern: RegExp | string;
  /** Flags when `pattern` is a string, e.g. `"i"`. @default "" */
  readonly flags?: string;
  /**
   * The longest text the pattern can match. Streams hold back this many characters (plus 8) of every
   * answer, so a match split across chunks is still found; a longer match may slip through a stream.
   * @default 64
   */
  readonly maxLength?: number;
  /** Extra check of each match (code only, not config): return false to leave it alone. */
  readonly validate?: (match: string) => boolean;
}

/** Compiles a custom detector. */
export function customDetector(options: CustomDetectorOptions): Detector {
  const source = typeof options.pattern === "string" ? options.pattern : options.pattern.source;
  const flags = (typeof options.pattern === "string" ? (options.flags ?? "") : options.pattern.flags).replace(
    /[gy]/g,
    "",
  );
  const validate = options.validate;
  return Object.freeze({
    name: options.name,
    pattern: new RegExp(source, `${flags}g`),
    maxLength: options.maxLength ?? 64,
    ...(validate
      ? { refine: (candidate: string) => (validate(candidate) ? candidate.length : undefined) }
      : {}),
  });
}

/** Escapes `text` for use as a literal inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * One detector for a list of literal strings, matched case-insensitively anywhere (substrings, not words:
 * use a RegExp with `\b` for words). The longest literal wins where several match at one place. Its stream
 * hold-back is exact and cheap: only a tail that is the beginning of one of the literals.
 */
export function literalsDetector(name: string, literals: readonly string[]): Detector {
  const sorted = [...new Set(literals.filter((literal) => literal !== ""))].sort(
    (a, b) => b.length - a.length,
  );
  if (sorted.length === 0) throw new RangeError("literalsDetector needs at least one non-empty string");
  const prefixes = new Set<string>();
  for (const literal of sorted) {
    const lower = literal.toLowerCase();
    for (let length = 1; length < lower.length; length++) prefixes.add(lower.slice(0, length));
  }
  const longest = sorted[0]?.length ?? 1;
  return Object.freeze({
    name,
    pattern: new RegExp(sorted.map(escapeRegExp).join("|"), "gi"),
    maxLength: longest,
    holdFrom(text: string, from: number) {
      for (let length = Math.min(longest - 1, text.length - from); length >= 1; length--) {
        if (prefixes.has(text.slice(text.length - length).toLowerCase())) return text.length - length;
      }
      return text.length;
    },
  });
}
