import { type SwitchyardError, type UpstreamErrorResponse, upstreamStatusError } from "@switchyard/core";

/**
 * Maps an OpenAI (or OpenAI-compatible) error answer. OpenAI sends `{"error":{"message",...}}`; some
 * compatible servers send `{"detail": ...}` (FastAPI) or `{"message": ...}`, and proxies send HTML.
 */
export function parseOpenAIError(response: UpstreamErrorResponse, providerName: string): SwitchyardError {
  return upstreamStatusError(response.status, extractMessage(response.body), response.headers, providerName);
}

function extractMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const record = parsed as { error?: unknown; detail?: unknown; message?: unknown };
  if (typeof record.error === "string") return record.error;
  if (typeof record.error === "object" && record.error !== null) {
    const message = (record.error as { message?: unknown }).message;
    if (typeof message === "string") return message;
  }
  if (typeof record.message === "string") return record.message;
  if (typeof record.detail === "string") return record.detail;
  return undefined;
}
