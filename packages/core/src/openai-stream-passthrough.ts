import type { Usage } from "./canonical-schemas.js";

const LF_LF = Buffer.from("\n\n");
const CRLF_CRLF = Buffer.from("\r\n\r\n");
const USAGE_KEY = Buffer.from('"usage"');
// A finish reason that is a string (not null): only the closing chunk of each choice has one.
const FINISH_KEY = Buffer.from('"finish_reason":"');
const DONE_MARK = Buffer.from("[DONE]");
const ERROR_KEY = Buffer.from('{"error"');
const EMPTY = new Uint8Array(0);

/**
 * The streaming fast path for OpenAI-dialect upstreams: forwards the upstream's SSE bytes untouched, event
 * by event, while reading usage from the chunk that carries it. Only events that mention `"usage"` with an
 * object value are parsed. When the client did not ask for usage (the gateway asked upstream on its
 * behalf), the usage-only chunk is dropped so the client sees exactly what it asked for.
 */
export class OpenAIStreamPassthrough {
  /** Usage from the last chunk that carried it. */
  usage: Usage | undefined;
  /** Whether `data: [DONE]` has been seen. */
  done = false;
  /** An upstream `{"error": ...}` event, if one came. */
  errorEvent: unknown;
  /** `model` of the answer, from the chunk that carried usage or a finish reason. */
  model: string | undefined;
  /** Finish reasons seen, one per choice that finished. */
  readonly finishReasons: string[] = [];
  /** Data events forwarded so far (OpenAI sends about one token per event). */
  events = 0;
  /** Set when an event's JSON was visibly cut short; that event and all after it are withheld. */
  malformed = false;
  private pending: Buffer | undefined;

  constructor(private readonly forwardUsageChunk: boolean) {}

  /** Takes one upstream read; returns the bytes to send to the client now (complete events only). */
  push(chunk: Uint8Array): Uint8Array {
    const input = this.pending
      ? Buffer.concat([this.pending, chunk])
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.pending = undefined;
    let start = 0;
    let kept: Buffer[] | undefined;
    let keptFrom = 0;
    while (start < input.length) {
      const boundary = nextBoundary(input, start);
      if (boundary === -1) break;
      const end = boundary.end;
      if (!this.inspect(input, start, boundary.at)) {
        kept ??= [];
        if (start > keptFrom) kept.push(input.subarray(keptFrom, start));
        keptFrom = end;
      }
      start = end;
    }
    if (start < input.length) this.pending = Buffer.from(input.subarray(start));
    if (kept === undefined) return start === input.length ? input : input.subarray(0, start);
    if (start > keptFrom) kept.push(input.subarray(keptFrom, start));
    return kept.length === 0 ? EMPTY : Buffer.concat(kept);
  }

  /** Bytes left over at the end of the stream (an event without its blank line). */
  flush(): Uint8Array {
    const rest = this.pending;
    this.pending = undefined;
    if (!rest) return EMPTY;
    return this.inspect(rest, 0, rest.length) ? rest : EMPTY;
  }

  // Returns false when the event must not reach the client.
  private inspect(input: Buffer, start: number, end: number): boolean {
    if (this.malformed) return false;
    const event = input.subarray(start, end);
    // A data event must end in `}` (a JSON chunk) or `]` ([DONE]): an O(1) check that catches truncated JSON
    // without parsing every chunk on the fast path.
    if (event[0] === 100 /* d */) {
      if (!endsLikeJson(event)) {
        this.malformed = true;
        return false;
      }
      this.events++;
    }
    if (event.indexOf(FINISH_KEY) !== -1) {
      const chunk = parseDataLines(event.toString("utf8")) as
        | { model?: string; choices?: Array<{ finish_reason?: unknown }> }
        | undefined;
      this.model ??= chunk?.model;
      for (const choice of chunk?.choices ?? []) {
        if (typeof choice.finish_reason === "string") this.finishReasons.push(choice.finish_reason);
      }
    }
    const usageAt = event.indexOf(USAGE_KEY);
    if (usageAt !== -1 && objectFollows(event, usageAt + USAGE_KEY.length)) {
      const chunk = parseDataLines(event.toString("utf8"));
      if (chunk && typeof chunk === "object") {
        const record = chunk as { usage?: Usage; choices?: unknown[] };
        if (record.usage) this.usage = record.usage;
        if (!this.forwardUsageChunk && Array.isArray(record.choices) && record.choices.length === 0)
          return false;
      }
      return true;
    }
    // "[DONE]" may also appear inside generated text; only a data line of exactly that ends the stream.
    if (event.indexOf(DONE_MARK) !== -1 && /^data: ?\[DONE\]\s*$/.test(event.toString("latin1"))) {
      this.done = true;
      return true;
    }
    // Upstream error events are `data: {"error": ...}`: only looked for near the event's start.
    const errorAt = event.indexOf(ERROR_KEY);
    if (errorAt !== -1 && errorAt < 8) {
      const parsed = parseDataLines(event.toString("utf8"));
      if (parsed && typeof parsed === "object" && "error" in parsed) {
        // Withheld: the gateway ends the stream with its own, OpenAI-shaped error event instead.
        this.errorEvent = parsed;
        return false;
      }
    }
    return true;
  }
}

function nextBoundary(input: Buffer, from: number): { at: number; end: number } | -1 {
  const lf = input.indexOf(LF_LF, from);
  // CRLF framing is rare (OpenAI and the common servers use LF); only look for it when there is a CR.
  const crlf = input.indexOf(13, from) === -1 ? -1 : input.indexOf(CRLF_CRLF, from);
  if (lf === -1 && crlf === -1) return -1;
  if (crlf === -1 || (lf !== -1 && lf < crlf)) return { at: lf, end: lf + 2 };
  return { at: crlf, end: crlf + 4 };
}

function endsLikeJson(event: Buffer): boolean {
  for (let index = event.length - 1; index >= 0; index--) {
    const byte = event[index];
    if (byte === 10 || byte === 13 || byte === 32 || byte === 9) continue;
    return byte === 125 /* } */ || byte === 93; /* ] */
  }
  return false;
}

function objectFollows(input: Buffer, from: number): boolean {
  for (let index = from; index < input.length; index++) {
    const byte = input[index];
    if (byte === 32 || byte === 58 /* : */ || byte === 9) continue;
    return byte === 123; /* { */
  }
  return false;
}

function parseDataLines(event: string): unknown {
  const data = event
    .split(/\r?\n/)
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(line.charCodeAt(5) === 32 ? 6 : 5))
    .join("\n");
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
