import { SwitchyardError } from "@switchyard/core";
import { type Dispatcher, Pool } from "undici";

/** How a policy service is reached. */
export interface PolicyClientOptions {
  readonly url: string;
  readonly timeoutMs: number;
  /** Sent with every call (e.g. the service's own credentials). */
  readonly headers: Readonly<Record<string, string>>;
  /** Longest answer body read; a longer one is an invalid answer. */
  readonly maxResponseBytes: number;
  /** An undici dispatcher of your own (custom TLS, proxy); the client then does not close it. */
  readonly dispatcher?: Dispatcher;
}

/** Why a call did not produce a usable answer. */
export type PolicyFailure = "timeout" | "unreachable" | "bad-status" | "invalid-answer";

/** The outcome of one call. `body` is the parsed JSON answer, `undefined` when empty or not JSON. */
export type PolicyCallResult =
  | { readonly ok: true; readonly status: number; readonly body: unknown; readonly text: string }
  | {
      readonly ok: false;
      readonly failure: PolicyFailure;
      readonly status?: number;
      readonly cause?: unknown;
    };

/**
 * POSTs JSON to a fixed URL over a keep-alive undici pool of its own, with one deadline for the whole
 * exchange (connect, headers, body). The URL comes from configuration only, never from a request.
 */
export class PolicyClient {
  private readonly dispatcher: Dispatcher;
  private readonly owned: boolean;
  private readonly origin: string;
  private readonly path: string;

  constructor(private readonly options: PolicyClientOptions) {
    const url = new URL(options.url);
    this.origin = url.origin;
    this.path = `${url.pathname}${url.search}`;
    this.owned = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ??
      new Pool(url.origin, {
        // Bounded so a slow policy service queues calls (within their deadline) rather than opening
        // thousands of sockets to it.
        connections: 64,
        keepAliveTimeout: 30_000,
        connect: { timeout: options.timeoutMs },
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
  }

  /**
   * Sends `payload`. Resolves with the answer or the failure; throws `SWY_ERR_CLIENT_CLOSED` only when the
   * client left meanwhile (nothing is waiting for the verdict then).
   */
  async post(payload: unknown, requestId: string, clientSignal: AbortSignal): Promise<PolicyCallResult> {
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    const signal = AbortSignal.any([clientSignal, deadline]);
    try {
      const response = await this.dispatcher.request({
        origin: this.origin,
        path: this.path,
        method: "POST",
        headers: {
          ...this.options.headers,
          "content-type": "application/json",
          accept: "application/json",
          "x-request-id": requestId,
        },
        body: JSON.stringify(payload),
        signal,
      });
      let size = 0;
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) {
        const buffer = chunk as Buffer;
        size += buffer.byteLength;
        if (size > this.options.maxResponseBytes) {
          response.body.destroy();
          return { ok: false, failure: "invalid-answer", status: response.statusCode };
        }
        chunks.push(buffer);
      }
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      if (text.trim() !== "") {
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
      }
      return { ok: true, status: response.statusCode, body, text };
    } catch (error) {
      if (clientSignal.aborted) {
        throw new SwitchyardError("SWY_ERR_CLIENT_CLOSED", "The client closed the request.", {
          cause: error,
        });
      }
      if (deadline.aborted || isTimeout(error)) return { ok: false, failure: "timeout", cause: error };
      return { ok: false, failure: "unreachable", cause: error };
    }
  }

  /** Closes the pool (when the client created it). */
  close(): Promise<void> {
    return this.owned ? this.dispatcher.close() : Promise.resolve();
  }
}

function isTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === "UND_ERR_CONNECT_TIMEOUT" ||
    code === "UND_ERR_HEADERS_TIMEOUT" ||
    code === "UND_ERR_BODY_TIMEOUT"
  );
}
