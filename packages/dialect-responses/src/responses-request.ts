import { SwitchyardError } from "@switchyard/core";
import { z } from "zod";

// The Responses API request (`POST /v1/responses`) as clients send it. Loose objects: fields the dialect
// does not read are tolerated (the API adds some every month); the ones it reads are checked, so a bad
// body is a 400 naming the field (`input[2].content[0].text`) the way OpenAI names it.

const inputText = z.looseObject({ type: z.literal("input_text"), text: z.string() });
const inputImage = z.looseObject({
  type: z.literal("input_image"),
  image_url: z.string().min(1).nullish(),
  file_id: z.string().min(1).nullish(),
  detail: z.string().optional(),
});
const inputFile = z.looseObject({
  type: z.literal("input_file"),
  file_data: z.string().min(1).optional(),
  file_id: z.string().min(1).nullish(),
  file_url: z.string().min(1).optional(),
  filename: z.string().optional(),
});
const inputAudio = z.looseObject({
  type: z.literal("input_audio"),
  input_audio: z.looseObject({ data: z.string(), format: z.string() }),
});
const outputText = z.looseObject({ type: z.literal("output_text"), text: z.string() });
const refusal = z.looseObject({ type: z.literal("refusal"), refusal: z.string() });

const contentPart = z.discriminatedUnion("type", [
  inputText,
  inputImage,
  inputFile,
  inputAudio,
  outputText,
  refusal,
]);

const messageItem = z.looseObject({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(contentPart)]),
});
const functionCallItem = z.looseObject({
  type: z.literal("function_call"),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
});
const functionCallOutputItem = z.looseObject({
  type: z.literal("function_call_output"),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(contentPart)]),
});

// Items by type (a message may leave its type out); other types are checked by the conversion, which
// refuses or drops them by name.
const knownItems: Readonly<Record<string, z.ZodType>> = {
  message: messageItem,
  function_call: functionCallItem,
  function_call_output: functionCallOutputItem,
};
const item = z.looseObject({ type: z.string().optional() }).superRefine((value, context) => {
  const schema = knownItems[value.type ?? "message"];
  if (schema === undefined) return;
  const result = schema.safeParse(value);
  if (result.success) return;
  for (const issue of result.error.issues) context.addIssue({ code: "custom", ...deepestIssue(issue) });
});

const functionTool = z.looseObject({
  type: z.literal("function"),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
const tool = z.looseObject({ type: z.string() }).superRefine((value, context) => {
  if (value.type !== "function") return;
  const result = functionTool.safeParse(value);
  if (result.success) return;
  for (const issue of result.error.issues) context.addIssue({ code: "custom", ...deepestIssue(issue) });
});

/** The body of `POST /v1/responses`, checked where the dialect reads it. */
export const responsesRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(item)]).optional(),
  instructions: z.string().nullish(),
  tools: z.array(tool).optional(),
  tool_choice: z
    .union([z.enum(["none", "auto", "required"]), z.looseObject({ type: z.string() })])
    .optional(),
  text: z
    .looseObject({
      format: z.looseObject({ type: z.enum(["text", "json_object", "json_schema"]) }).optional(),
      verbosity: z.string().nullish(),
    })
    .nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  reasoning: z.looseObject({ effort: z.string().nullish() }).nullish(),
  previous_response_id: z.string().nullish(),
  conversation: z.unknown().optional(),
  background: z.boolean().nullish(),
  prompt: z.unknown().optional(),
  user: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
  service_tier: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
});

/** A Responses API request. */
export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;
/** A content part of an input message or a function call output. */
export type ResponsesContentPart = z.infer<typeof contentPart>;
/** A message item. */
export type ResponsesMessageItem = z.infer<typeof messageItem>;
/** A function call item (the model's, passed back). */
export type ResponsesFunctionCallItem = z.infer<typeof functionCallItem>;
/** A function call output item (the client's tool result). */
export type ResponsesFunctionCallOutputItem = z.infer<typeof functionCallOutputItem>;
/** A function tool, in the Responses API's flat shape. */
export type ResponsesFunctionTool = z.infer<typeof functionTool>;

/** Checks a client body; a failure names the field the way OpenAI does (`input[0].content`). */
export function parseResponsesRequest(body: unknown): ResponsesRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new SwitchyardError("SWY_ERR_REQUEST_INVALID", "The request body must be a JSON object.");
  }
  const result = responsesRequestSchema.safeParse(body);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  const issue = first ? deepestIssue(first) : undefined;
  const param = issue ? formatParam(issue.path) : undefined;
  const problem = issue?.message ?? "invalid value";
  throw new SwitchyardError(
    "SWY_ERR_REQUEST_INVALID",
    param ? `Invalid '${param}': ${problem}` : `Invalid request: ${problem}`,
    param ? { param } : {},
  );
}

/**
 * The issue to report: for a union that failed every branch (`content` is a string or a list of parts), the
 * deepest issue of any branch, with its full path, since that is where the body went wrong.
 */
export function deepestIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
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

/** `["input", 2, "content"]` -> `input[2].content`. */
export function formatParam(path: ReadonlyArray<PropertyKey>): string | undefined {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out === "" ? undefined : out;
}
