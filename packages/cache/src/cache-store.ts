import type { Usage } from "@switchyard/core";

/** One cached answer. */
export interface CacheEntry {
  /** The answer's bytes exactly as its client received them: a JSON body, or a whole SSE stream. */
  readonly body: Uint8Array;
  /** The answer's `content-type`: `application/json`, or `text/event-stream...` for a stream. */
  readonly contentType: string;
  /** Usage the provider reported for it. */
  readonly usage?: Usage;
  /** USD it cost when generated, when the model has a price. */
  readonly cost?: number;
  /** `Date.now()` when it was stored: gives the `Age` header and honours `Cache-Control: max-age`. */
  readonly storedAt: number;
}

/**
 * Where cached answers live. Keys are opaque, URL-safe strings (the request hash); values expire after the
 * TTL given to `set`. A store never throws for a missing key; it may throw (or reject) when it is down, and
 * the cache then treats the lookup as a miss and the write as skipped.
 */
export interface CacheStore {
  /** The entry under `key`, or `undefined` when absent or expired. */
  get(key: string): Promise<CacheEntry | undefined>;
  /** Stores `entry` under `key` for `ttlMs`. Entries above `maxEntryBytes` are not stored. */
  set(key: string, entry: CacheEntry, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** The largest entry (its encoded size, see {@link entrySize}) the store keeps. */
  readonly maxEntryBytes: number;
  /** Releases connections the store opened. */
  close?(): Promise<void>;
}

const FORMAT_VERSION = 1;
const HEADER_BYTES = 5;

interface EntryMeta {
  readonly t: string;
  readonly u?: Usage;
  readonly c?: number;
  readonly s: number;
}

function metaOf(entry: CacheEntry): EntryMeta {
  return { t: entry.contentType, u: entry.usage, c: entry.cost, s: entry.storedAt };
}

/** Bytes an entry takes once encoded: its body plus a small JSON header. */
export function entrySize(entry: CacheEntry): number {
  return HEADER_BYTES + Buffer.byteLength(JSON.stringify(metaOf(entry))) + entry.body.byteLength;
}

/**
 * Encodes an entry for a byte store (Redis): a version byte, the metadata's length (uint32 BE), the
 * metadata as JSON, then the body's bytes untouched.
 */
export function encodeEntry(entry: CacheEntry): Buffer {
  const meta = Buffer.from(JSON.stringify(metaOf(entry)));
  const out = Buffer.allocUnsafe(HEADER_BYTES + meta.byteLength + entry.body.byteLength);
  out.writeUInt8(FORMAT_VERSION, 0);
  out.writeUInt32BE(meta.byteLength, 1);
  meta.copy(out, HEADER_BYTES);
  out.set(entry.body, HEADER_BYTES + meta.byteLength);
  return out;
}

/** Decodes {@link encodeEntry}'s bytes; `undefined` for anything else (another version, a torn value). */
export function decodeEntry(bytes: Buffer): CacheEntry | undefined {
  if (bytes.byteLength < HEADER_BYTES || bytes.readUInt8(0) !== FORMAT_VERSION) return undefined;
  const metaLength = bytes.readUInt32BE(1);
  if (HEADER_BYTES + metaLength > bytes.byteLength) return undefined;
  let meta: EntryMeta;
  try {
    meta = JSON.parse(bytes.subarray(HEADER_BYTES, HEADER_BYTES + metaLength).toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof meta?.t !== "string" || typeof meta.s !== "number") return undefined;
  return {
    body: bytes.subarray(HEADER_BYTES + metaLength),
    contentType: meta.t,
    ...(meta.u ? { usage: meta.u } : {}),
    ...(typeof meta.c === "number" ? { cost: meta.c } : {}),
    storedAt: meta.s,
  };
}
