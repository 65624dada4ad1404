import { z } from "zod";

// The Anthropic Messages API wire format (`POST /v1/messages`, `anthropic-version: 2023-06-01`), as far as
// this provider speaks it. Request schemas are strict, as the API is: it refuses fields it does not know.
// Response schemas are loose: the API adds fields over time (its versioning policy allows that).

/** Prompt-cache breakpoint a content block may carry. */
export const cacheControlSchema = z
  .object({ type: z.literal("ephemeral"), ttl: z.enum(["5m", "1h"]).optional() })
  .strict();

const textBlock = z
  .object({
    type: z.literal("text"),
    // The API refuses empty text blocks.
    text: z.string().min(1),
    cache_control: cacheControlSchema.optional(),
  })
  .strict();

const imageBlock = z
  .object({
    type: z.literal("image"),
    source: z.discriminatedUnion("type", [
      z
        .object({
          type: z.literal("base64"),
          media_type: z.enum(["image/jpeg", "image/png", "image/gif", "image/webp"]),
          data: z.string().min(1),
        })
        .strict(),
      z.object({ type: z.literal("url"), url: z.url() }).strict(),
    ]),
    cache_control: cacheControlSchema.optional(),
  })
  .strict();

const documentBlock = z
  .object({
    type: z.literal("document"),
    source: z
      .object({
        type: z.literal("base64"),
        media_type: z.literal("application/pdf"),
        data: z.string().min(1),
      })
      .strict(),
    title: z.string().optional(),
    cache_control: cacheControlSchema.optional(),
  })
  .strict();

const toolUseBlock = z
  .object({
    type: z.literal("tool_use"),
    id: z.string().regex(/^[a-zA-Z0-9_-]+$/),
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,128}$/),
    input: z.record(z.string(), z.unknown()),
    cache_control: cacheControlSchema.optional(),
  })
  .strict();

const toolResultBlock = z
  .object({
    type: z.literal("tool_result"),
    tool_use_id: z.string().regex(/^[a-zA-Z0-9_-]+$/),
    content: z.union([z.string(), z.array(z.union([textBlock, imageBlock]))]).optional(),
    is_error: z.boolean().optional(),
    cache_control: cacheControlSchema.optional(),
  })
  .strict();

const userBlock = z.discriminatedUnion("type", [textBlock, imageBlock, documentBlock, toolResultBlock]);
const assistantBlock = z.discriminatedUnion("type", [textBlock, toolUseBlock]);

const messageSchema = z.discriminatedUnion("role", [
  z
    .object({ role: z.literal("user"), content: z.union([z.string().min(1), z.array(userBlock).min(1)]) })
    .strict(),
  z
    .object({
      role: z.literal("assistant"),
      content: z.union([z.string().min(1), z.array(assistantBlock).min(1)]),
    })
    .strict(),
]);

const toolSchema = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,128}$/),
    description: z.string().optional(),
    input_schema: z.looseObject({ type: z.literal("object") }),
    cache_control: cacheControlSchema.optional(),
  })
  .strict();

const toolChoiceSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("auto"), disable_parallel_tool_use: z.boolean().optional() }).strict(),
  z.object({ type: z.literal("any"), disable_parallel_tool_use: z.boolean().optional() }).strict(),
  z
    .object({ type: z.literal("tool"), name: z.string(), disable_parallel_tool_use: z.boolean().optional() })
    .strict(),
  z.object({ type: z.literal("none") }).strict(),
]);

/**
 * The body of `POST /v1/messages` as this provider sends it, checked the way the API checks it: required
 * fields, value ranges, and no field the API does not know.
 */
export const anthropicMessagesRequestSchema = z
  .object({
    model: z.string().min(1),
    max_tokens: z.number().int().min(1),
    messages: z.array(messageSchema).min(1),
    system: z.union([z.string(), z.array(textBlock)]).optional(),
    metadata: z
      .object({ user_id: z.string().max(256).optional() })
      .strict()
      .optional(),
    stop_sequences: z.array(z.string()).optional(),
    stream: z.boolean().optional(),
    temperature: z.number().min(0).max(1).optional(),
    top_p: z.number().min(0).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    tools: z.array(toolSchema).optional(),
    tool_choice: toolChoiceSchema.optional(),
  })
  .strict()
  .superRefine((request, context) => {
    // Conversation rules the API enforces: roles alternate; each assistant `tool_use` is answered by a
    // `tool_result` in the very next user turn, and a user turn's tool results come before anything else.
    request.messages.forEach((message, index) => {
      const previous = request.messages[index - 1];
      if (previous?.role === message.role) {
        context.addIssue({ code: "custom", path: ["messages", index], message: "roles must alternate" });
      }
      if (message.role !== "user") return;
      const asked = new Set(
        previous && typeof previous.content !== "string"
          ? previous.content.flatMap((block) => (block.type === "tool_use" ? [block.id] : []))
          : [],
      );
      let seenOther = false;
      for (const block of typeof message.content === "string" ? [] : message.content) {
        if (block.type !== "tool_result") {
          seenOther = true;
          continue;
        }
        if (seenOther || !asked.delete(block.tool_use_id)) {
          context.addIssue({
            code: "custom",
            path: ["messages", index],
            message: `tool_result '${block.tool_use_id}' does not answer a tool_use of the previous turn, or follows other content`,
          });
        }
      }
      if (asked.size > 0) {
        context.addIssue({
          code: "custom",
          path: ["messages", index],
          message: `tool_use ids without tool_result: ${[...asked].join(", ")}`,
        });
      }
    });
  });

/** The body of `POST /v1/messages`. */
export type AnthropicMessagesRequest = z.infer<typeof anthropicMessagesRequestSchema>;
/** One message of a request. */
export type AnthropicMessage = z.infer<typeof messageSchema>;
/** A text block. */
export type AnthropicTextBlock = z.infer<typeof textBlock>;
/** An image block (base64 or URL source). */
export type AnthropicImageBlock = z.infer<typeof imageBlock>;
/** A PDF document block. */
export type AnthropicDocumentBlock = z.infer<typeof documentBlock>;
/** A tool call the assistant made. */
export type AnthropicToolUseBlock = z.infer<typeof toolUseBlock>;
/** The result of a tool call, sent in a user turn. */
export type AnthropicToolResultBlock = z.infer<typeof toolResultBlock>;
/** A block of a user turn. */
export type AnthropicUserBlock = z.infer<typeof userBlock>;
/** A block of an assistant turn. */
export type AnthropicAssistantBlock = z.infer<typeof assistantBlock>;
/** A tool definition. */
export type AnthropicTool = z.infer<typeof toolSchema>;
/** How the model may use tools. */
export type AnthropicToolChoice = z.infer<typeof toolChoiceSchema>;

/** Token usage as the API reports it (also in `message_start` and `message_delta` stream events). */
export const anthropicUsageSchema = z.looseObject({
  input_tokens: z.number().int().nonnegative().nullable().optional(),
  output_tokens: z.number().int().nonnegative().nullable().optional(),
  cache_creation_input_tokens: z.number().int().nonnegative().nullable().optional(),
  cache_read_input_tokens: z.number().int().nonnegative().nullable().optional(),
});

/** Token usage as the API reports it. */
export type AnthropicUsage = z.infer<typeof anthropicUsageSchema>;

/** A complete (non-streamed) answer of `POST /v1/messages`. */
export const anthropicMessageResponseSchema = z.looseObject({
  id: z.string(),
  type: z.literal("message"),
  role: z.literal("assistant"),
  model: z.string(),
  content: z.array(
    z.looseObject({
      type: z.string(),
      text: z.string().optional(),
      id: z.string().optional(),
      name: z.string().optional(),
      input: z.unknown().optional(),
    }),
  ),
  stop_reason: z.string().nullable().optional(),
  stop_sequence: z.string().nullable().optional(),
  usage: anthropicUsageSchema,
});

/** A complete (non-streamed) answer. */
export type AnthropicMessageResponse = z.infer<typeof anthropicMessageResponseSchema>;

/** Why the model stopped. New values may appear; unknown ones are treated as `end_turn`. */
export type AnthropicStopReason =
  | "end_turn"
  | "max_tokens"
  | "stop_sequence"
  | "tool_use"
  | "pause_turn"
  | "refusal"
  | "model_context_window_exceeded";

/** The error body: `{"type":"error","error":{"type","message"},"request_id"}`. */
export interface AnthropicErrorBody {
  type: "error";
  error: { type: string; message: string };
  request_id?: string;
}

/** Server-sent event types of a streamed answer (`event:` line and the data's `type` agree). */
export type AnthropicStreamEventType =
  | "message_start"
  | "content_block_start"
  | "content_block_delta"
  | "content_block_stop"
  | "message_delta"
  | "message_stop"
  | "ping"
  | "error";
