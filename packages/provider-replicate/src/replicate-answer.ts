import { Readable } from "node:stream";
import type { UpstreamAnswer } from "@switchyard/core";

/**
 * A body the provider composes itself (a prediction it already read, or a stream it relays with events
 * added) that the gateway reads like an undici body: async iteration, `text()`, `json()`, `destroy()`.
 * `onDestroy` runs at once when the gateway tears the body down (client gone, hedge lost) — not when the
 * source next yields — so the upstream read can be aborted and the prediction canceled without waiting.
 */
class ComposedBody extends Readable {
  private reading = false;

  constructor(
    private readonly source: AsyncIterator<Uint8Array>,
    private readonly onDestroy: () => void,
  ) {
    super();
  }

  override _read(): void {
    if (this.reading) return;
    this.reading = true;
    this.source.next().then(
      (result) => {
        this.reading = false;
        if (this.destroyed) return;
        this.push(result.done ? null : result.value);
      },
      (error: unknown) => {
        this.reading = false;
        this.destroy(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.onDestroy();
    this.source.return?.().catch(() => {});
    callback(error);
  }

  async text(): Promise<string> {
    const parts: Buffer[] = [];
    for await (const part of this) parts.push(Buffer.from(part as Uint8Array));
    return Buffer.concat(parts).toString("utf8");
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = Buffer.from(await this.text(), "utf8");
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
}

/** An answer whose body is `source` (bytes produced on demand) or a fixed text. */
export function composedAnswer(
  status: number,
  headers: Record<string, string>,
  source: AsyncIterable<Uint8Array> | string,
  onDestroy: () => void = () => {},
): UpstreamAnswer {
  const iterable: AsyncIterable<Uint8Array> =
    typeof source === "string"
      ? (async function* () {
          yield Buffer.from(source, "utf8");
        })()
      : source;
  const body = new ComposedBody(iterable[Symbol.asyncIterator](), onDestroy);
  // The gateway's reader is typed as undici's body; this one has the members it uses.
  return { status, headers, body: body as unknown as UpstreamAnswer["body"] };
}
