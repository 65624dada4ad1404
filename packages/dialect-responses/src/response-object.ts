import type { Usage } from "@switchyard/core";

/** An `output_text` or `refusal` part of a message item. */
export type ResponseContentPart =
  | { type: "output_text"; text: string; annotations: never[]; logprobs: never[] }
  | { type: "refusal"; refusal: string };

/** An output item: the assistant's message, or a function call. */
export type ResponseOutputItem =
  | {
      id: string;
      type: "message";
      status: "in_progress" | "completed" | "incomplete";
      role: "assistant";
      content: ResponseContentPart[];
    }
  | {
      id: string;
      type: "function_call";
      status: "in_progress" | "completed" | "incomplete";
      call_id: string;
      name: string;
      arguments: string;
    };

/** Usage in the Responses API's shape. */
export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** Where a response stands. */
export type ResponseStatus = "in_progress" | "completed" | "incomplete" | "failed";

/** Why a response is incomplete. */
export interface IncompleteDetails {
  reason: "max_output_tokens" | "content_filter";
}

/** The `response` object (what `POST /v1/responses` answers, and what stream lifecycle events carry). */
export interface ResponseObject {
  id: string;
  object: "response";
  created_at: number;
  status: ResponseStatus;
  background: false;
  error: { code: string; message: string } | null;
  incomplete_details: IncompleteDetails | null;
  instructions: unknown;
  max_output_tokens: number | null;
  model: string;
  output: ResponseOutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: null;
  reasoning: { effort: string | null; summary: null };
  store: false;
  temperature: number | null;
  text: unknown;
  tool_choice: unknown;
  tools: unknown[];
  top_p: number | null;
  truncation: "disabled";
  usage: ResponseUsage | null;
  user: string | null;
  metadata: Record<string, string>;
}

/** The facts a response is built from: its id, time, model and the client's request (echoed back). */
export interface ResponseFacts {
  readonly id: string;
  readonly createdAt: number;
  readonly model: string;
  /** The client's body; the fields a Response echoes are taken from it. */
  readonly request: unknown;
}

/**
 * Builds a `response` object. Request settings are echoed from the client's body as the API does;
 * `store` is always `false` (nothing is stored) and `truncation` always `disabled` (nothing is truncated).
 */
export function buildResponseObject(
  facts: ResponseFacts,
  status: ResponseStatus,
  output: ResponseOutputItem[],
  usage: ResponseUsage | null,
  incomplete: IncompleteDetails | null = null,
  error: ResponseObject["error"] = null,
): ResponseObject {
  const request = (
    typeof facts.request === "object" && facts.request !== null ? facts.request : {}
  ) as Record<string, unknown>;
  const reasoning = request.reasoning as { effort?: unknown } | null | undefined;
  return {
    id: facts.id,
    object: "response",
    created_at: facts.createdAt,
    status,
    background: false,
    error,
    incomplete_details: incomplete,
    instructions: request.instructions ?? null,
    max_output_tokens: typeof request.max_output_tokens === "number" ? request.max_output_tokens : null,
    model: facts.model,
    output,
    parallel_tool_calls:
      typeof request.parallel_tool_calls === "boolean" ? request.parallel_tool_calls : true,
    previous_response_id: null,
    reasoning: { effort: typeof reasoning?.effort === "string" ? reasoning.effort : null, summary: null },
    store: false,
    temperature: typeof request.temperature === "number" ? request.temperature : null,
    text: request.text ?? { format: { type: "text" } },
    tool_choice: request.tool_choice ?? "auto",
    tools: Array.isArray(request.tools) ? request.tools : [],
    top_p: typeof request.top_p === "number" ? request.top_p : null,
    truncation: "disabled",
    usage,
    user: typeof request.user === "string" ? request.user : null,
    metadata: isStringRecord(request.metadata) ? request.metadata : {},
  };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((entry) => typeof entry === "string")
  );
}

/** Canonical usage -> Responses usage (`input_tokens` includes cache hits, as `prompt_tokens` does). */
export function toResponseUsage(usage: Usage | undefined): ResponseUsage | null {
  if (usage === undefined) return null;
  const output = usage.completion_tokens ?? Math.max(0, usage.total_tokens - usage.prompt_tokens);
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.prompt_tokens + output,
  };
}

/** `finish_reason` -> the response's status and, when it stopped short, why. */
export function statusOf(finishReason: string | null | undefined): {
  status: "completed" | "incomplete";
  incomplete: IncompleteDetails | null;
} {
  if (finishReason === "length") return { status: "incomplete", incomplete: { reason: "max_output_tokens" } };
  if (finishReason === "content_filter") {
    return { status: "incomplete", incomplete: { reason: "content_filter" } };
  }
  return { status: "completed", incomplete: null };
}

/** Ids of a response and its items, derived from the upstream's completion id (or the request id). */
export function responseIds(base: string): {
  response: string;
  message: string;
  functionCall: (index: number) => string;
} {
  return {
    response: `resp_${base}`,
    message: `msg_${base}`,
    functionCall: (index) => `fc_${base}_${index}`,
  };
}
