import { SwitchyardError } from "@switchyard/core";
import { z } from "zod";

// The Anthropic Messages request as clients send it to the gateway. Unlike the provider's outbound schema
// (strict, the way the API checks what the gateway sends), this one is loose: a client may use any field or
// block type the API knows today or adds tomorrow (thinking, cache_control, server tools, MCP servers). Those
// reach an Anthropic upstream untouched through the passthrough; the canonical conversion reads only what it
// understands. The checks here are the ones the conversion relies on, so a malformed body is a 400 naming
// the field instead of a failure deeper in.

const textBlock = z.looseObject({ type: z.literal("text"), text: z.string() });

const imageBlock = z.looseObject({
  type: z.literal("image"),
  source: z.discriminatedUnion("type", [
    z.looseObject({ type: z.literal("base64"), media_type: z.string().min(1), data: z.string().min(1) }),
    z.looseObject({ type: z.literal("url"), url: z.string().min(1) }),
    z.looseObject({ type: z.literal("file"), file_id: z.string().min(1) }),
  ]),
});

const documentBlock = z.looseObject({
  type: z.literal("document"),
  source: z.looseObject({ type: z.string() }),
  title: z.string().nullable().optional(),
});

const toolUseBlock = z.looseObject({
  type: z.literal("tool_use"),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.unknown(),
});

const toolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]).optional(),
  is_error: z.boolean().optional(),
});

/** The block types the canonical conversion reads; any other type is accepted and left to the passthrough. */
const knownBlocks: Readonly<Record<string, z.ZodType>> = {
  text: textBlock,
  image: imageBlock,
  document: documentBlock,
  tool_use: toolUseBlock,
  tool_result: toolResultBlock,
};

const anyBlock = z.looseObject({ type: z.string().min(1) }).superRefine((block, context) => {
  const schema = knownBlocks[block.type];
  if (schema === undefined) return;
  const result = schema.safeParse(block);
  if (result.success) return;
  for (const issue of result.error.issues) context.addIssue({ code: "custom", ...deepestIssue(issue) });
});

const messageSchema = z.looseObject({
  role: z.enum(["user", "assistant"]),
  content: z.union([z.string(), z.array(anyBlock)]),
});

const toolSchema = z.looseObject({
  // Client tools have no type (or "custom"); server tools (web_search_20250305, bash_20250124, ...) have one.
  type: z.string().optional(),
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
});

const toolChoiceSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("auto"), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal("any"), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({
    type: z.literal("tool"),
    name: z.string().min(1),
    disable_parallel_tool_use: z.boolean().optional(),
  }),
  z.looseObject({ type: z.literal("none") }),
]);

const requestFields = {
  model: z.string().min(1),
  messages: z.array(messageSchema).min(1),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  metadata: z.looseObject({ user_id: z.string().nullable().optional() }).optional(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  tools: z.array(toolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
};

/** The body of `POST /v1/messages` as a client sends it: checked where the conversion reads, open elsewhere. */
export const messagesRequestSchema = z.looseObject({
  ...requestFields,
  max_tokens: z.number().int().min(1),
});

/** The body of `POST /v1/messages/count_tokens`: a messages request without `max_tokens` and `stream`. */
export const countTokensRequestSchema = z.looseObject(requestFields);

/** A Messages API request as a client sends it. */
export type MessagesRequest = z.infer<typeof countTokensRequestSchema> & { max_tokens?: number };
/** One turn of the conversation. */
export type MessagesRequestMessage = z.infer<typeof messageSchema>;
/** A content block of a turn (any type; the known ones checked). */
export type MessagesRequestBlock = z.infer<typeof anyBlock>;
/** A tool definition (a client tool, or a server tool with a `type`). */
export type MessagesRequestTool = z.infer<typeof toolSchema>;

/**
 * The issue to report: for a union that failed every branch (`content` is a string or a list of blocks), the
 * deepest issue of any branch, with its full path, since that is where the body went wrong.
 */
function deepestIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) {
    return { path: [...issue.path], message: issue.message };
  }
  let best = { path: [...issue.path], message: issue.message };
  for (const branch of issue.errors) {
    const inner = branch[0];
    if (inner === undefined) continue;
    const found = deepestIssue(inner);
    if (found.path.length + issue.path.length > best.path.length) {
      best = { path: [...issue.path, ...found.path], message: found.message };
    }
  }
  return best;
}

/**
 * Checks a client body against `schema`. On failure the error names the first offending field the way
 * Anthropic's API does (`messages.0.content.1.text`), in `param` and in the message.
 */
export function parseMessagesBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new SwitchyardError("SWY_ERR_REQUEST_INVALID", "The request body must be a JSON object.");
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  const issue = first ? deepestIssue(first) : undefined;
  const param = issue && issue.path.length > 0 ? issue.path.map(String).join(".") : undefined;
  const problem = issue?.message ?? "invalid value";
  throw new SwitchyardError(
    "SWY_ERR_REQUEST_INVALID",
    param ? `${param}: ${problem}` : `Invalid request: ${problem}`,
    param ? { param } : {},
  );
}
