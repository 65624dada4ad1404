/** Header names and values as every adapter hands them to the gateway: names lower-cased. */
export type HeaderRecord = Readonly<Record<string, string | undefined>>;

// The same rule core applies to a client's `x-request-id`: short, and safe to log and to send upstream.
const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;

/**
 * The request id of a response the adapter answers itself (a CORS preflight, a framework's error): the
 * client's `x-request-id` when it is safe, a new UUID otherwise — the rule core applies to every other
 * response, so "returned on every response" holds whoever answers.
 */
export function requestIdOf(headers: HeaderRecord): string {
  const given = headers["x-request-id"];
  return given !== undefined && REQUEST_ID_PATTERN.test(given) ? given : globalThis.crypto.randomUUID();
}
