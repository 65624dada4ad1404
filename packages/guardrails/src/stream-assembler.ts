import { type CanonicalResponse, encodeSseEvent, SSE_DONE } from "@switchyard/core";

type Loose = Record<string, unknown>;

interface AssembledToolCall {
  id?: string;
  type?: string;
  name?: string;
  arguments: string;
}

interface AssembledChoice {
  content: string | undefined;
  toolCalls: Map<number, AssembledToolCall>;
  finishReason: unknown;
}

/**
 * Rebuilds the complete answer from the SSE events of a streamed one (chat or legacy completion chunks),
 * so a check that needs the whole answer can see it, and turns a replacement answer back into events.
 */
export class StreamAssembler {
  private readonly choices = new Map<number, AssembledChoice>();
  private head: Loose | undefined;
  private usage: unknown;
  private legacy = false;
  /** The data of an error event, when the stream carried one (it failed upstream or in the gateway). */
  errorEvent: string | undefined;
  /** Whether a usage-only chunk was sent (the client asked for one): a replacement sends one too. */
  usageChunkSent = false;

  push(data: string): void {
    if (data === "[DONE]") return;
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      this.errorEvent ??= data;
      return;
    }
    if (typeof chunk !== "object" || chunk === null) return;
    const loose = chunk as Loose;
    if ("error" in loose) {
      this.errorEvent ??= data;
      return;
    }
    this.head ??= loose;
    if (loose.object === "text_completion") this.legacy = true;
    if (loose.usage) this.usage = loose.usage;
    const choices = Array.isArray(loose.choices) ? (loose.choices as Loose[]) : [];
    if (choices.length === 0 && loose.usage) this.usageChunkSent = true;
    for (const choice of choices) this.pushChoice(choice);
  }

  private pushChoice(choice: Loose): void {
    const index = typeof choice.index === "number" ? choice.index : 0;
    let state = this.choices.get(index);
    if (state === undefined) {
      state = { content: undefined, toolCalls: new Map(), finishReason: null };
      this.choices.set(index, state);
    }
    if (choice.finish_reason !== undefined && choice.finish_reason !== null)
      state.finishReason = choice.finish_reason;
    const text = this.legacy ? choice.text : (choice.delta as Loose | undefined)?.content;
    if (typeof text === "string") state.content = (state.content ?? "") + text;
    const toolCalls = (choice.delta as Loose | undefined)?.tool_calls;
    if (!Array.isArray(toolCalls)) return;
    for (const call of toolCalls as Loose[]) {
      const callIndex = typeof call.index === "number" ? call.index : 0;
      let assembled = state.toolCalls.get(callIndex);
      if (assembled === undefined) {
        assembled = { arguments: "" };
        state.toolCalls.set(callIndex, assembled);
      }
      const fn = call.function as Loose | undefined;
      if (typeof call.id === "string") assembled.id = call.id;
      if (typeof call.type === "string") assembled.type = call.type;
      if (typeof fn?.name === "string") assembled.name = fn.name;
      if (typeof fn?.arguments === "string") assembled.arguments += fn.arguments;
    }
  }

  /** The complete answer, shaped like a non-streamed one (`chat.completion` or `text_completion`). */
  response(): CanonicalResponse {
    const head = this.head ?? {};
    const indices = [...this.choices.keys()].sort((a, b) => a - b);
    const common = {
      id: typeof head.id === "string" ? head.id : "",
      created: typeof head.created === "number" ? head.created : Math.floor(Date.now() / 1000),
      model: typeof head.model === "string" ? head.model : "",
      ...(typeof head.system_fingerprint === "string" ? { system_fingerprint: head.system_fingerprint } : {}),
      ...(this.usage ? { usage: this.usage } : {}),
    };
    if (this.legacy) {
      return {
        ...common,
        object: "text_completion",
        choices: indices.map((index) => {
          const choice = this.choices.get(index) as AssembledChoice;
          return { index, text: choice.content ?? "", logprobs: null, finish_reason: choice.finishReason };
        }),
      } as unknown as CanonicalResponse;
    }
    return {
      ...common,
      object: "chat.completion",
      choices: indices.map((index) => {
        const choice = this.choices.get(index) as AssembledChoice;
        const toolCalls = [...choice.toolCalls.entries()]
          .sort(([a], [b]) => a - b)
          .map(([, call]) => ({
            id: call.id ?? "",
            type: call.type ?? "function",
            function: { name: call.name ?? "", arguments: call.arguments },
          }));
        return {
          index,
          message: {
            role: "assistant",
            content: choice.content ?? null,
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          },
          finish_reason: choice.finishReason,
        };
      }),
    } as unknown as CanonicalResponse;
  }
}

/**
 * A complete answer as stream events: one chunk per choice holding its whole text (and tool calls), a
 * usage chunk when `withUsage`, then `[DONE]`.
 */
export function encodeAsStream(response: CanonicalResponse, withUsage: boolean): Uint8Array[] {
  const loose = response as unknown as Loose;
  const legacy = loose.object === "text_completion";
  const head = {
    id: loose.id,
    object: legacy ? "text_completion" : "chat.completion.chunk",
    created: loose.created,
    model: loose.model,
  };
  const out: Uint8Array[] = [];
  for (const choice of (Array.isArray(loose.choices) ? loose.choices : []) as Loose[]) {
    const message = (choice.message ?? {}) as Loose;
    const toolCalls = Array.isArray(message.tool_calls)
      ? (message.tool_calls as Loose[]).map((call, index) => ({ index, ...call }))
      : undefined;
    const streamed = legacy
      ? {
          index: choice.index,
          text: choice.text ?? "",
          logprobs: null,
          finish_reason: choice.finish_reason ?? null,
        }
      : {
          index: choice.index,
          delta: {
            role: "assistant",
            content: message.content ?? null,
            ...(toolCalls ? { tool_calls: toolCalls } : {}),
          },
          finish_reason: choice.finish_reason ?? null,
        };
    out.push(encodeSseEvent(JSON.stringify({ ...head, choices: [streamed] })));
  }
  if (withUsage && loose.usage)
    out.push(encodeSseEvent(JSON.stringify({ ...head, choices: [], usage: loose.usage })));
  out.push(SSE_DONE);
  return out;
}
