import type { Detector } from "./detectors.js";

/**
 * What replaces a match: a template where `{type}` is the detector's name, or a function of the matched
 * text and the detector's name. A function may throw to refuse the text instead (the denylist's `reject`).
 */
export type Replacement = string | ((match: string, type: string) => string);

/** Redacts a text stream piece by piece; see {@link Redactor.stream}. */
export interface StreamRedactor {
  /** Adds the next piece; returns the text that is now safe to send (possibly empty). */
  push(piece: string): string;
  /** The stream ended: returns everything still held back, redacted. */
  end(): string;
  /** Characters held back right now. */
  readonly held: number;
}

/** Finds and replaces what its detectors describe. */
export interface Redactor {
  /** Replaces every match in `text`. Returns `text` itself when nothing matched. */
  redact(text: string): string;
  /**
   * A redactor for text that arrives in pieces (a streamed answer). Whatever the split, the pieces it
   * returns, joined, equal `redact` of the whole text: it holds back a tail that could be the beginning of
   * a match (for the built-in detectors usually the last word, at most a few hundred characters) until the
   * next piece, or the end, settles it.
   */
  stream(): StreamRedactor;
}

interface Found {
  readonly start: number;
  readonly end: number;
  readonly detector: Detector;
}

// Characters kept before the unsent text so look-behinds (`(?<!\d)`) see what precedes it.
const CONTEXT_CHARS = 32;
// Without a `holdFrom`, a detector's look-ahead may read this many characters past a match's end.
const LOOKAHEAD_MARGIN = 8;

/** Creates a redactor over `detectors`. `{type}` in a string replacement becomes the detector's name. */
export function createRedactor(detectors: readonly Detector[], replacement: Replacement): Redactor {
  if (detectors.length === 0) throw new RangeError("a redactor needs at least one detector");
  const replace =
    typeof replacement === "function"
      ? (match: string, detector: Detector) => replacement(match, detector.name)
      : (_match: string, detector: Detector) => replacement.replaceAll("{type}", detector.name);
  return {
    redact(text) {
      const finder = new MatchFinder(detectors);
      let out = "";
      let position = 0;
      for (let found = finder.next(text, 0); found; found = finder.next(text, position)) {
        out +=
          text.slice(position, found.start) + replace(text.slice(found.start, found.end), found.detector);
        position = found.end;
      }
      return position === 0 ? text : out + text.slice(position);
    },
    stream() {
      return new DetectorStream(new MatchFinder(detectors), detectors, replace);
    },
  };
}

/**
 * The one matching rule, shared by whole texts and streams so they agree: from a position, every detector
 * finds its leftmost (checked) match; the one starting first wins, then the longest, then the earlier
 * detector; matching goes on after its end.
 */
class MatchFinder {
  // Per detector: its next match at or after the last search position, `null` for none, `undefined` unknown.
  private readonly cache: Array<Found | null | undefined>;
  private cachedText = "";
  private lastFrom = 0;

  constructor(private readonly detectors: readonly Detector[]) {
    this.cache = new Array(detectors.length).fill(undefined);
  }

  next(text: string, from: number): Found | undefined {
    // Valid only for the same text searched forwards.
    if (from < this.lastFrom || text !== this.cachedText) {
      this.cache.fill(undefined);
      this.cachedText = text;
    }
    this.lastFrom = from;
    let best: Found | undefined;
    for (let index = 0; index < this.detectors.length; index++) {
      let found = this.cache[index];
      if (found === undefined || (found !== null && found.start < from)) {
        found = nextOf(this.detectors[index] as Detector, text, from) ?? null;
        this.cache[index] = found;
      }
      if (
        found &&
        (!best || found.start < best.start || (found.start === best.start && found.end > best.end))
      )
        best = found;
    }
    return best;
  }
}

function nextOf(detector: Detector, text: string, from: number): Found | undefined {
  const pattern = detector.pattern;
  let at = from;
  while (at <= text.length) {
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (!match) return undefined;
    const start = match.index;
    let length = match[0].length;
    if (length > 0 && detector.refine) length = detector.refine(match[0]) ?? 0;
    // An empty or refused candidate: look again one character further, so a refused long candidate does
    // not hide a real match that starts inside it.
    if (length === 0) {
      at = start + 1;
      continue;
    }
    return { start, end: start + length, detector };
  }
  return undefined;
}

class DetectorStream implements StreamRedactor {
  // The last few sent characters (context for look-behinds), then the unsent ones from `pending`.
  private text = "";
  private pending = 0;

  constructor(
    private readonly finder: MatchFinder,
    private readonly detectors: readonly Detector[],
    private readonly replace: (match: string, detector: Detector) => string,
  ) {}

  get held(): number {
    return this.text.length - this.pending;
  }

  push(piece: string): string {
    if (piece === "") return "";
    this.text += piece;
    const out = this.release(this.holdFrom());
    if (this.pending > CONTEXT_CHARS * 2) {
      this.text = this.text.slice(this.pending - CONTEXT_CHARS);
      this.pending = CONTEXT_CHARS;
    }
    return out;
  }

  end(): string {
    const out = this.release(this.text.length);
    this.text = "";
    this.pending = 0;
    return out;
  }

  // The earliest place a match may still be unfinished. Matches starting before it are final: any
  // different outcome would need a match reaching past the end of the text, which starts after it.
  private holdFrom(): number {
    const { text, pending } = this;
    let cut = text.length;
    for (const detector of this.detectors) {
      const from = detector.holdFrom
        ? detector.holdFrom(text, pending)
        : text.length - detector.maxLength - LOOKAHEAD_MARGIN;
      if (from < cut) cut = from;
    }
    return Math.max(cut, pending);
  }

  private release(cut: number): string {
    const text = this.text;
    let position = this.pending;
    let out = "";
    for (let found = this.finder.next(text, position); found && found.start < cut; ) {
      out +=
        text.slice(position, found.start) + this.replace(text.slice(found.start, found.end), found.detector);
      position = found.end;
      found = this.finder.next(text, position);
    }
    if (position < cut) {
      out += text.slice(position, cut);
      position = cut;
    }
    this.pending = position;
    return out;
  }
}
