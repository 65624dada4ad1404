/**
 * The runtime-neutral request every HTTP adapter hands to `gateway.handle()`. Adapters convert their
 * framework's request into this and the GatewayHttpResponse back; all routing, parsing and error shaping
 * lives in core so every adapter behaves the same.
 */
export interface GatewayHttpRequest {
  readonly method: string;
  /** Path below the mount point, with or without the query string: `/v1/chat/completions`. */
  readonly path: string;
  /** Header names lower-cased; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /**
   * The raw body as a stream of bytes (read lazily so the size limit applies before buffering), the bytes
   * themselves, or a value a framework's body parser already produced.
   */
  readonly body?: AsyncIterable<Uint8Array> | Uint8Array | string | { readonly parsed: unknown };
  /** Aborts when the client disconnects. */
  readonly signal: AbortSignal;
  /** The peer's IP address as the socket saw it (a proxy's, behind one); adapters fill it when they know it. */
  readonly remoteAddress?: string;
}

/** What the adapter writes back. A streamed body must be iterated to its end (or the signal aborted). */
export interface GatewayHttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array | AsyncIterable<Uint8Array> | null;
}
