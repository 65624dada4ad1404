/** One Server-Sent Event. `event` is absent for the default `message` type. */
export interface SseEvent {
  event?: string;
  data: string;
  id?: string;
  retry?: number;
}

/**
 * Incremental SSE parser (WHATWG `text/event-stream` rules): feed it bytes as they arrive, in any split,
 * and it returns the events completed so far. Lines may end in LF, CRLF or CR; comments are skipped.
 */
export class SseReader {
  private readonly decoder = new TextDecoder();
  private buffer = "";
  private data: string[] = [];
  private eventType: string | undefined;
  private lastId: string | undefined;
  private retry: number | undefined;
  // A CR at the very end of a read may be the first half of a CRLF split across reads.
  private pendingCarriageReturn = false;

  /** Feeds bytes (or text) and returns the events they complete. */
  push(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    if (this.pendingCarriageReturn && text.startsWith("\n")) text = text.slice(1);
    this.pendingCarriageReturn = false;
    this.buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    const buffer = this.buffer;
    for (let index = 0; index < buffer.length; index++) {
      const character = buffer.charCodeAt(index);
      if (character !== 10 && character !== 13) continue;
      const line = buffer.slice(start, index);
      if (character === 13) {
        if (index + 1 === buffer.length) this.pendingCarriageReturn = true;
        else if (buffer.charCodeAt(index + 1) === 10) index++;
      }
      start = index + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = buffer.slice(start);
    return events;
  }

  /** Ends the stream: returns a last event only if it was complete but for its blank line. */
  end(): SseEvent[] {
    const tail = this.decoder.decode();
    const events = tail ? this.push(tail) : [];
    if (this.buffer.length > 0) {
      const event = this.line(this.buffer);
      this.buffer = "";
      if (event) events.push(event);
    }
    const last = this.line("");
    if (last) events.push(last);
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === "") return this.dispatch();
    if (line.charCodeAt(0) === 58 /* ":" comment */) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        break;
      case "event":
        this.eventType = value;
        break;
      case "id":
        if (!value.includes("\0")) this.lastId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    if (this.data.length === 0) {
      this.eventType = undefined;
      return undefined;
    }
    const event: SseEvent = { data: this.data.join("\n") };
    if (this.eventType !== undefined) event.event = this.eventType;
    if (this.lastId !== undefined) event.id = this.lastId;
    if (this.retry !== undefined) event.retry = this.retry;
    this.data = [];
    this.eventType = undefined;
    this.retry = undefined;
    return event;
  }
}
