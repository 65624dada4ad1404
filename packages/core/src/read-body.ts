import { SwitchyardError } from "./errors.js";
import type { GatewayHttpRequest } from "./http-types.js";

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads and parses a JSON request body, refusing a body over `limitBytes` as soon as it is known to be
 * too large (from `content-length`, or while reading) so it is never buffered whole.
 */
export async function readJsonBody(request: GatewayHttpRequest, limitBytes: number): Promise<unknown> {
  const body = request.body;
  if (body !== undefined && typeof body === "object" && "parsed" in body) return body.parsed;
  checkContentType(request.headers["content-type"]);
  const declared = request.headers["content-length"];
  if (declared !== undefined && Number(declared) > limitBytes) throw tooLarge(limitBytes);
  let text: string;
  if (body === undefined) text = "";
  else if (typeof body === "string") {
    if (Buffer.byteLength(body) > limitBytes) throw tooLarge(limitBytes);
    text = body;
  } else if (body instanceof Uint8Array) {
    if (body.byteLength > limitBytes) throw tooLarge(limitBytes);
    text = decode(body);
  } else {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.byteLength;
      if (size > limitBytes) throw tooLarge(limitBytes);
      chunks.push(chunk);
    }
    text = decode(chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, size));
  }
  if (text.length === 0) {
    throw new SwitchyardError(
      "SWY_ERR_HTTP_INVALID_JSON",
      "The request body is empty; a JSON object is required.",
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : "parse error";
    throw new SwitchyardError("SWY_ERR_HTTP_INVALID_JSON", `The request body is not valid JSON: ${detail}`);
  }
}

function decode(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new SwitchyardError("SWY_ERR_HTTP_INVALID_JSON", "The request body is not valid UTF-8.");
  }
}

// A missing content type is accepted (some clients omit it); a declared non-JSON type is refused.
function checkContentType(contentType: string | undefined): void {
  if (contentType === undefined) return;
  const mediaType = contentType.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  if (mediaType === "application/json" || mediaType.endsWith("+json")) return;
  throw new SwitchyardError(
    "SWY_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE",
    `Content-Type must be application/json, not '${mediaType.slice(0, 100)}'.`,
  );
}

function tooLarge(limitBytes: number): SwitchyardError {
  return new SwitchyardError(
    "SWY_ERR_HTTP_BODY_TOO_LARGE",
    `The request body is larger than the gateway's limit of ${limitBytes} bytes.`,
  );
}
