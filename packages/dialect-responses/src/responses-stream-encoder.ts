import {
  type ChatCompletionChunk,
  formatSseEvent,
  type StreamEncoder,
  type SwitchyardError,
  type Usage,
} from "@switchyard/core";
import {
  buildResponseObject,
  type ResponseContentPart,
  type ResponseFacts,
  type ResponseOutputItem,
  responseIds,
  statusOf,
  toResponseUsage,
} from "./response-object.js";

type MessageItem = Extract<ResponseOutputItem, { type: "message" }>;
type FunctionCallItem = Extract<ResponseOutputItem, { type: "function_call" }>;
type ToolCallDelta = NonNullable<ChatCompletionChunk["choices"][number]["delta"]["tool_calls"]>[number];

/** What the encoder knows before the first chunk. */
export interface ResponsesStreamFacts {
  /** The client's body, echoed in the `response` objects. */
  readonly request: unknown;
  /** The id base when the upstream's chunks carry none (the gateway's request id). */
  readonly fallbackId: string;
  /** The model when the upstream's chunks carry none (what the client asked for). */
  readonly model: string;
}

interface OpenMessage {
  readonly item: MessageItem;
  readonly outputIndex: number;
  /** content index of the part being written, by kind */
  text?: number;
  refusal?: number;
}

interface OpenCall {
  readonly item: FunctionCallItem;
  readonly outputIndex: number;
  open: boolean;
}

/**
 * Canonical `chat.completion.chunk`s -> the Responses API's event stream, each event with its
 * `sequence_number` and an `event:` line naming its type:
 *
 * 1. `response.created`, `response.in_progress` (the `response` in progress, no output yet), at the first chunk;
 * 2. text: `response.output_item.added` (a `message` item), `response.content_part.added` (an `output_text`
 *    part), `response.output_text.delta`s; a refusal likewise with a `refusal` part and `response.refusal.delta`s;
 * 3. each tool call: `response.output_item.added` (a `function_call` item with `call_id` and `name`), then
 *    `response.function_call_arguments.delta`s;
 * 4. closing each item: `response.output_text.done` / `response.refusal.done`, `response.content_part.done`,
 *    `response.function_call_arguments.done`, `response.output_item.done` (the message when a tool call
 *    starts, function calls when the choice finishes, so parallel calls may interleave their arguments);
 * 5. `response.completed` with the whole response and its usage (from the final usage chunk), or
 *    `response.incomplete` when the answer was cut (`max_output_tokens`) or filtered (`content_filter`).
 *
 * A failure after the first byte is an `error` event (`code`, `message`, `param`) followed by
 * `response.failed` with the output so far.
 */
export function createResponsesStreamEncoder(facts: ResponsesStreamFacts): StreamEncoder {
  let sequence = 0;
  let started = false;
  let ended = false;
  let finishReason: string | null | undefined;
  let usage: Usage | undefined;
  let ids = responseIds(facts.fallbackId);
  let responseFacts: ResponseFacts = {
    id: ids.response,
    createdAt: Math.floor(Date.now() / 1000),
    model: facts.model,
    request: facts.request,
  };
  const output: ResponseOutputItem[] = [];
  const calls = new Map<number, OpenCall>();
  let message: OpenMessage | undefined;
  let messages = 0;

  const emit = (type: string, fields: Record<string, unknown>): string =>
    formatSseEvent(JSON.stringify({ type, ...fields, sequence_number: sequence++ }), type);

  const start = (chunk: ChatCompletionChunk | undefined): string => {
    started = true;
    if (chunk?.id) ids = responseIds(chunk.id);
    responseFacts = {
      id: ids.response,
      createdAt: chunk?.created ?? responseFacts.createdAt,
      model: chunk?.model || facts.model,
      request: facts.request,
    };
    const response = buildResponseObject(responseFacts, "in_progress", [], null);
    return emit("response.created", { response }) + emit("response.in_progress", { response });
  };

  const openMessage = (): string => {
    if (message !== undefined) return "";
    let out = closeCalls();
    const item: MessageItem = {
      id: messages === 0 ? ids.message : `${ids.message}_${messages}`,
      type: "message",
      status: "in_progress",
      role: "assistant",
      content: [],
    };
    messages++;
    message = { item, outputIndex: output.push(item) - 1 };
    out += emit("response.output_item.added", { output_index: message.outputIndex, item });
    return out;
  };

  const textDelta = (delta: string, kind: "text" | "refusal"): string => {
    let out = openMessage();
    const open = message as OpenMessage;
    let contentIndex = open[kind];
    if (contentIndex === undefined) {
      const part: ResponseContentPart =
        kind === "text"
          ? { type: "output_text", text: "", annotations: [], logprobs: [] }
          : { type: "refusal", refusal: "" };
      contentIndex = open.item.content.push(part) - 1;
      open[kind] = contentIndex;
      out += emit("response.content_part.added", {
        item_id: open.item.id,
        output_index: open.outputIndex,
        content_index: contentIndex,
        part,
      });
    }
    const part = open.item.content[contentIndex] as ResponseContentPart;
    const place = { item_id: open.item.id, output_index: open.outputIndex, content_index: contentIndex };
    if (part.type === "output_text") {
      part.text += delta;
      return out + emit("response.output_text.delta", { ...place, delta, logprobs: [] });
    }
    part.refusal += delta;
    return out + emit("response.refusal.delta", { ...place, delta });
  };

  const closeMessage = (status: "completed" | "incomplete"): string => {
    if (message === undefined) return "";
    const open = message;
    message = undefined;
    let out = "";
    open.item.content.forEach((part, contentIndex) => {
      const place = { item_id: open.item.id, output_index: open.outputIndex, content_index: contentIndex };
      out +=
        part.type === "output_text"
          ? emit("response.output_text.done", { ...place, text: part.text, logprobs: [] })
          : emit("response.refusal.done", { ...place, refusal: part.refusal });
      out += emit("response.content_part.done", { ...place, part });
    });
    open.item.status = status;
    return out + emit("response.output_item.done", { output_index: open.outputIndex, item: open.item });
  };

  const toolDelta = (call: ToolCallDelta): string => {
    let out = "";
    let open = calls.get(call.index);
    if (open === undefined) {
      out += closeMessage("completed");
      const item: FunctionCallItem = {
        id: ids.functionCall(calls.size),
        type: "function_call",
        status: "in_progress",
        call_id: call.id ?? `call_${ids.functionCall(calls.size)}`,
        name: call.function?.name ?? "",
        arguments: "",
      };
      open = { item, outputIndex: output.push(item) - 1, open: true };
      calls.set(call.index, open);
      out += emit("response.output_item.added", { output_index: open.outputIndex, item });
    }
    const delta = call.function?.arguments;
    if (delta === undefined || delta === "") return out;
    open.item.arguments += delta;
    // Arguments for a call already closed (text came in between) still count in the final response.
    if (!open.open) return out;
    return (
      out +
      emit("response.function_call_arguments.delta", {
        item_id: open.item.id,
        output_index: open.outputIndex,
        delta,
      })
    );
  };

  const closeCalls = (): string => {
    let out = "";
    for (const open of calls.values()) {
      if (!open.open) continue;
      open.open = false;
      open.item.status = "completed";
      out += emit("response.function_call_arguments.done", {
        item_id: open.item.id,
        output_index: open.outputIndex,
        name: open.item.name,
        arguments: open.item.arguments,
      });
      out += emit("response.output_item.done", { output_index: open.outputIndex, item: open.item });
    }
    return out;
  };

  return {
    chunk(chunk: ChatCompletionChunk): string | undefined {
      if (ended) return undefined;
      let out = started ? "" : start(chunk);
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices.find((candidate) => candidate.index === 0);
      if (choice !== undefined && finishReason === undefined) {
        const delta = choice.delta as typeof choice.delta & { refusal?: string | null };
        if (typeof delta.content === "string" && delta.content !== "")
          out += textDelta(delta.content, "text");
        if (typeof delta.refusal === "string" && delta.refusal !== "")
          out += textDelta(delta.refusal, "refusal");
        for (const call of delta.tool_calls ?? []) out += toolDelta(call);
        if (choice.finish_reason) {
          finishReason = choice.finish_reason;
          out += closeMessage(statusOf(finishReason).status) + closeCalls();
        }
      }
      return out === "" ? undefined : out;
    },
    end(): string {
      let out = started ? "" : start(undefined);
      ended = true;
      const { status, incomplete } = statusOf(finishReason);
      out += closeMessage(status) + closeCalls();
      const response = buildResponseObject(responseFacts, status, output, toResponseUsage(usage), incomplete);
      return out + emit(status === "completed" ? "response.completed" : "response.incomplete", { response });
    },
    error(error: SwitchyardError): string {
      let out = started ? "" : start(undefined);
      ended = true;
      const body = error.toBody().error;
      out += emit("error", { code: body.code, message: body.message, param: body.param });
      const failure = {
        code: error.status === 429 ? "rate_limit_exceeded" : "server_error",
        message: error.message,
      };
      const response = buildResponseObject(
        responseFacts,
        "failed",
        output,
        toResponseUsage(usage),
        null,
        failure,
      );
      return out + emit("response.failed", { response });
    },
  };
}
