import { type GatewayHttpResponse, SwitchyardError } from "@switchyard/core";

/** The error a request waiting on another gets when its own client leaves. */
export function clientClosed(): SwitchyardError {
  return new SwitchyardError("SWY_ERR_CLIENT_CLOSED", "The client closed the request.");
}

/** Waits for `promise`, or throws `SWY_ERR_CLIENT_CLOSED` as soon as `signal` aborts. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(clientClosed());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(clientClosed());
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Reads a gateway response body whole, as text. */
export async function readAll(body: GatewayHttpResponse["body"]): Promise<string> {
  if (body === null) return "";
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString();
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString();
}
