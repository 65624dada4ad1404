import { SwitchyardError, type Usage } from "@switchyard/core";

interface Cursor {
  /** Absolute index of the next chunk this reader gets. */
  index: number;
  /** Set when it fell too far behind: its next read fails. */
  cut: boolean;
  wake: (() => void) | undefined;
}

/**
 * Records a leader's stream as it is relayed, for two uses: the bytes to cache once the stream completed
 * well, and a log that coalesced followers read at their own pace (fan-out). The leader never waits for a
 * follower: chunks are appended and followers catch up. While the recording is under `limitBytes` every
 * chunk is kept (the cache needs all of them, and a follower that joins late starts from the first). Past
 * the limit nothing is cached, no one new may join, chunks every follower has read are dropped, and a
 * follower more than `maxLagBytes` behind is cut off: memory held for slow followers stays bounded.
 */
export class StreamRecorder {
  private chunks: Uint8Array[] = [];
  /** Byte offset in the whole stream where each of `chunks` starts. */
  private starts: number[] = [];
  /** Absolute index of `chunks[0]`. */
  private base = 0;
  private readonly cursors = new Set<Cursor>();
  /** Bytes appended in all. */
  total = 0;
  /** The stream went past the limit: nothing will be cached and no follower may join. */
  overflowed = false;
  /** The stream ended (well or not). */
  done = false;
  /** Why it failed, when it did. */
  error: SwitchyardError | undefined;
  /** Usage of the completed stream. */
  usage: Usage | undefined;
  /** USD cost of the completed stream, when its model has a price. */
  cost: number | undefined;

  constructor(
    private readonly limitBytes: number,
    private readonly maxLagBytes: number = Math.max(limitBytes, 1024 * 1024),
  ) {}

  /** Whether a follower may still read it from the first chunk (every chunk was kept). */
  get joinable(): boolean {
    return !this.overflowed;
  }

  /** Followers reading now. */
  get followers(): number {
    return this.cursors.size;
  }

  append(chunk: Uint8Array): void {
    if (this.done) return;
    this.chunks.push(chunk);
    this.starts.push(this.total);
    this.total += chunk.byteLength;
    if (!this.overflowed && this.total > this.limitBytes) this.overflowed = true;
    if (this.overflowed) this.trim();
    this.wakeAll();
  }

  /** The stream completed well. */
  finish(usage: Usage | undefined, cost: number | undefined): void {
    if (this.done) return;
    this.done = true;
    this.usage = usage;
    this.cost = cost;
    this.wakeAll();
  }

  /** The stream failed: followers get `error` once they have read what came before. */
  fail(error: SwitchyardError): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    this.wakeAll();
  }

  /** Every byte, when all were kept (not overflowed). */
  bytes(): Buffer | undefined {
    if (this.overflowed || this.base !== 0) return undefined;
    return Buffer.concat(this.chunks, this.total);
  }

  /**
   * Reads the stream from its first chunk, waiting for new ones, until it ends; then throws its error if
   * it failed. Only while {@link joinable} (also after the end). Stops early (returns) when `signal` aborts.
   */
  async *follow(signal: AbortSignal): AsyncGenerator<Uint8Array> {
    if (this.base !== 0) throw new Error("StreamRecorder: no longer joinable");
    const cursor: Cursor = { index: 0, cut: false, wake: undefined };
    this.cursors.add(cursor);
    const onAbort = () => cursor.wake?.();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        if (cursor.cut) {
          throw new SwitchyardError(
            "SWY_ERR_UPSTREAM_STREAM_CUT",
            "This request shared an identical request's stream and fell too far behind it.",
          );
        }
        if (signal.aborted) return;
        if (cursor.index < this.base + this.chunks.length) {
          const chunk = this.chunks[cursor.index - this.base] as Uint8Array;
          cursor.index++;
          if (this.overflowed) this.trim();
          yield chunk;
          continue;
        }
        if (this.done) break;
        await new Promise<void>((resolve) => {
          cursor.wake = resolve;
        });
        cursor.wake = undefined;
      }
      if (this.error) throw this.error;
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.cursors.delete(cursor);
      if (this.overflowed) this.trim();
    }
  }

  private wakeAll(): void {
    for (const cursor of this.cursors) cursor.wake?.();
  }

  // Past the limit: cut followers lagging more than maxLagBytes behind, then drop what all have read.
  private trim(): void {
    let slowest = this.base + this.chunks.length;
    for (const cursor of this.cursors) {
      if (cursor.cut) continue;
      if (this.lagOf(cursor) > this.maxLagBytes) {
        cursor.cut = true;
        this.cursors.delete(cursor);
        cursor.wake?.();
        continue;
      }
      slowest = Math.min(slowest, cursor.index);
    }
    const drop = slowest - this.base;
    if (drop <= 0) return;
    this.chunks = this.chunks.slice(drop);
    this.starts = this.starts.slice(drop);
    this.base = slowest;
  }

  /** Bytes appended that this reader has not read yet. */
  private lagOf(cursor: Cursor): number {
    const next = this.starts[cursor.index - this.base];
    return next === undefined ? 0 : this.total - next;
  }
}
