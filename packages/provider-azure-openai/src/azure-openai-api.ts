import type { Operation } from "@switchyard/core";
import { z } from "zod";

// Azure OpenAI speaks OpenAI's Chat Completions wire format; what differs is where requests go (a resource
// host, a deployment in the path, an `api-version` query), how they authenticate (`api-key` or an Entra ID
// bearer token), and what Azure adds to answers (content-filter annotations, its own error codes).

/**
 * The dated data-plane version used by default: the latest generally available (GA) version of the
 * deployments surface at the time of writing. Newer GA or preview versions are set with `apiVersion`.
 */
export const DEFAULT_AZURE_API_VERSION = "2024-10-21";

/** `apiVersion: "v1"` selects the versionless `/openai/v1/` surface (the deployment goes in `model`). */
export const AZURE_V1_API = "v1";

const operationPaths: Record<Operation, string> = {
  chat: "/chat/completions",
  completions: "/completions",
  embeddings: "/embeddings",
};

/**
 * The request path (after the endpoint's base path) for one call.
 * - dated version: `/openai/deployments/{deployment}/chat/completions?api-version=2024-10-21`
 * - `v1`: `/openai/v1/chat/completions` (no query)
 */
export function azureRequestPath(operation: Operation, deployment: string, apiVersion: string): string {
  if (apiVersion === AZURE_V1_API) return `/openai/v1${operationPaths[operation]}`;
  return `/openai/deployments/${encodeURIComponent(deployment)}${operationPaths[operation]}?api-version=${encodeURIComponent(apiVersion)}`;
}

/** One category of a content-filter result (`hate`, `violence`, `jailbreak`, ...). */
const filterCategorySchema = z.looseObject({
  filtered: z.boolean().optional(),
  severity: z.string().optional(),
  detected: z.boolean().optional(),
});

/** `innererror` of a prompt blocked by the content filter. */
const innerErrorSchema = z.looseObject({
  code: z.string().optional(),
  content_filter_result: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Azure's error body: `{"error":{"code","message","param","type","status","innererror"}}`. `code` is a name
 * (`DeploymentNotFound`, `content_filter`) or a status as text (`"429"`); everything but `message` is optional.
 */
export const azureErrorBodySchema = z.looseObject({
  error: z.looseObject({
    message: z.string().optional(),
    code: z.union([z.string(), z.number()]).nullable().optional(),
    param: z.string().nullable().optional(),
    innererror: innerErrorSchema.nullable().optional(),
  }),
});

export type AzureErrorBody = z.infer<typeof azureErrorBodySchema>;

/** Names the categories a content-filter result flagged, e.g. `violence (high), jailbreak`. */
export function flaggedCategories(result: Record<string, unknown> | undefined): string[] {
  if (!result) return [];
  const flagged: string[] = [];
  for (const [category, value] of Object.entries(result)) {
    const parsed = filterCategorySchema.safeParse(value);
    if (!parsed.success || parsed.data.filtered !== true) continue;
    flagged.push(parsed.data.severity ? `${category} (${parsed.data.severity})` : category);
  }
  return flagged;
}
