import type { z } from "zod";
import {
  type CanonicalRequest,
  chatCompletionRequestSchema,
  completionRequestSchema,
  embeddingRequestSchema,
} from "./canonical-schemas.js";
import { SwitchyardError } from "./errors.js";
import type { Operation } from "./provider.js";

/** The request schema of each operation. */
export const operationSchemas: Readonly<Record<Operation, z.ZodType<CanonicalRequest>>> = Object.freeze({
  chat: chatCompletionRequestSchema,
  completions: completionRequestSchema,
  embeddings: embeddingRequestSchema,
});

/**
 * Validates a parsed body. On failure the error names the first offending field the way OpenAI does
 * (`messages[0].content`) in both `param` and the message.
 */
export function parseRequest<T extends CanonicalRequest>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new SwitchyardError("SWY_ERR_REQUEST_INVALID", "The request body must be a JSON object.");
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue ? formatPath(issue.path) : undefined;
  const problem = issue ? describeIssue(issue) : "invalid value";
  throw new SwitchyardError(
    "SWY_ERR_REQUEST_INVALID",
    param ? `Invalid '${param}': ${problem}` : `Invalid request: ${problem}`,
    param ? { param } : {},
  );
}

function formatPath(path: ReadonlyArray<PropertyKey>): string | undefined {
  if (path.length === 0) return undefined;
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    // A union failed every branch; the deepest message of the first branch is the useful one.
    const first = issue.errors[0]?.[0];
    if (first) return `${first.message}${first.path.length ? ` at '${formatPath(first.path)}'` : ""}`;
  }
  return issue.message;
}
