import { SwitchyardError, type UpstreamErrorResponse, upstreamStatusError } from "@switchyard/core";
import { parseOpenAIError } from "@switchyard/provider-openai";
import { type AzureErrorBody, azureErrorBodySchema, flaggedCategories } from "./azure-openai-api.js";

/**
 * Maps an Azure OpenAI error answer to a SwitchyardError, keeping Azure's message.
 * - A prompt blocked by the content filter (400, code `content_filter` or inner code
 *   `ResponsibleAIPolicyViolation`) becomes `SWY_ERR_UPSTREAM_CONTENT_FILTERED`, naming the flagged categories.
 * - Other errors go through the shared status mapping; a named Azure code (`DeploymentNotFound`,
 *   `OperationNotSupported`) is put before the message, since it says more than the status.
 * - Bodies that are not Azure-shaped (an APIM gateway's or proxy's HTML) fall back to the OpenAI parser.
 */
export function parseAzureOpenAIError(
  response: UpstreamErrorResponse,
  providerName: string,
): SwitchyardError {
  const body = parseBody(response.body);
  if (!body) return parseOpenAIError(response, providerName);
  const { message, code, innererror } = body.error;
  if (response.status === 400 && isContentFilter(code, innererror?.code)) {
    const flagged = flaggedCategories(innererror?.content_filter_result);
    const text = message?.trim() || "The prompt was blocked by the content filter.";
    return new SwitchyardError(
      "SWY_ERR_UPSTREAM_CONTENT_FILTERED",
      `${providerName}: ${text}${flagged.length > 0 ? ` Flagged: ${flagged.join(", ")}.` : ""}`.slice(
        0,
        2_100,
      ),
      { param: "messages", upstreamStatus: 400 },
    );
  }
  const named = typeof code === "string" && code !== "" && !/^\d+$/.test(code) ? code : undefined;
  const text = message?.trim() ? (named ? `${named}: ${message.trim()}` : message.trim()) : named;
  return upstreamStatusError(response.status, text, response.headers, providerName);
}

function isContentFilter(code: unknown, innerCode: string | undefined): boolean {
  return code === "content_filter" || innerCode === "ResponsibleAIPolicyViolation";
}

function parseBody(text: string): AzureErrorBody | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result = azureErrorBodySchema.safeParse(parsed);
  return result.success ? result.data : undefined;
}
