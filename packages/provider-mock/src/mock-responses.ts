/**
 * OpenAI wire format on the response side: the bodies and stream events the mock upstream answers with, built
 * as pure functions of a validated request so they can be checked without a server.
 *
 * @packageDocumentation
 */
import { DEFAULT_EMBEDDING_DIMENSIONS, embedInput, encodeEmbeddingBase64 } from "./mock-embedding.js";
import {
  buildToolArguments,
  chatMessageText,
  choiceSeed,
  countChatPromptTokens,
  countTokens,
  generateReplyText,
  hashText,
  hashTokenIds,
  limitCompletion,
  type MockCompletion,
  splitTokens,
} from "./mock-model.js";
import type {
  ChatCompletionRequest,
  CompletionRequest,
  EmbeddingRequest,
  MockFunctionTool,
} from "./mock-openai-wire.js";
import { SSE_DONE, type SseEvent, sseEvent } from "./mock-sse.js";

/** What a custom reply function is told about the request it answers. */
export interface MockReplyRequest {
  /** Which endpoint is answering. */
  readonly endpoint: "chat.completions" | "completions";
  /** The requested model. */
  readonly model: string;
  /** The text of the last user message (chat), or the prompt (completions; token ids joined by spaces). */
  readonly prompt: string;
  /** The `index` of the choice being generated. */
  readonly choiceIndex: number;
  /** The raw request body. */
  readonly body: Readonly<Record<string, unknown>>;
}

/** Replaces the generated reply text; `max_tokens` and `stop` still apply to what it returns. */
export type MockReplyFunction = (request: MockReplyRequest) => string;

/** Per-request settings of the fake model. */
export interface MockGeneration {
  /** Unix time in seconds, shared by every chunk of a response. */
  readonly created: number;
  /** Length of generated replies, in tokens. */
  readonly replyTokens: number;
  /** Tokens per streamed content chunk. */
  readonly chunkTokens: number;
  /** Custom reply text, if any. */
  readonly reply: MockReplyFunction | undefined;
  /** Hands out the next tool call id, `call_mock_<n>`. */
  nextToolCallId(): string;
}

/** A response body to send as JSON, or events to send as a stream. */
export type MockAnswer =
  | { readonly kind: "json"; readonly body: unknown }
  | { readonly kind: "stream"; readonly events: readonly SseEvent[] };

/** The `system_fingerprint` of every mock response. */
export const MOCK_SYSTEM_FINGERPRINT = "fp_mock";

/** The `owned_by` of every mock model. */
export const MOCK_MODEL_OWNER = "switchyard-mock";

// A fixed date rather than the start time, so model listings are identical across runs.
const MODEL_CREATED = 1_735_689_600;

type ChatChoicePlan =
  | { readonly kind: "text"; readonly completion: MockCompletion }
  | { readonly kind: "tool"; readonly id: string; readonly name: string; readonly arguments: string };

function chooseTool(request: ChatCompletionRequest): MockFunctionTool | undefined {
  const { toolChoice, tools } = request;
  // After a tool result the model answers in text, which keeps agent loops against the mock finite.
  if (toolChoice.mode === "none" || request.messages.at(-1)?.role !== "user") return undefined;
  if (toolChoice.mode === "function") return tools.find((tool) => tool.name === toolChoice.name);
  return tools[0];
}

function lastUserText(request: ChatCompletionRequest): string {
  for (let index = request.messages.length - 1; index >= 0; index -= 1) {
    const message = request.messages[index];
    if (message?.role === "user") return chatMessageText(message);
  }
  return "";
}

function planChatChoices(request: ChatCompletionRequest, generation: MockGeneration): ChatChoicePlan[] {
  const tool = chooseTool(request);
  const prompt = lastUserText(request);
  const seed = hashText(prompt);
  const plans: ChatChoicePlan[] = [];
  for (let choiceIndex = 0; choiceIndex < request.n; choiceIndex += 1) {
    if (tool) {
      // Limits are not applied to tool arguments: cutting them would only produce invalid JSON.
      const toolArguments = buildToolArguments(tool.parameters);
      plans.push({
        kind: "tool",
        id: generation.nextToolCallId(),
        name: tool.name,
        arguments: toolArguments,
      });
      continue;
    }
    const text = generation.reply
      ? generation.reply({
          endpoint: "chat.completions",
          model: request.model,
          prompt,
          choiceIndex,
          body: request.body,
        })
      : generateReplyText(choiceSeed(seed, choiceIndex), generation.replyTokens);
    plans.push({ kind: "text", completion: limitCompletion(text, request) });
  }
  return plans;
}

function groupPieces(pieces: readonly string[], size: number): string[] {
  const groups: string[] = [];
  for (let index = 0; index < pieces.length; index += size)
    groups.push(pieces.slice(index, index + size).join(""));
  return groups;
}

function chatUsage(promptTokens: number, completionTokens: number) {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

function chatFinishReason(plan: ChatChoicePlan): string {
  return plan.kind === "tool" ? "tool_calls" : plan.completion.finishReason;
}

/**
 * Answers a chat completion request with the mock model's reply, a tool call, or their stream.
 *
 * Usage: `prompt_tokens` is {@link countChatPromptTokens} of the messages; `completion_tokens` is the sum over
 * choices of {@link countTokens} of the content, or of the tool call's arguments.
 *
 * @param id - The completion id, `chatcmpl-mock-<n>`.
 * @param request - The validated request.
 * @param generation - The fake model's settings.
 * @returns A JSON body, or stream events ending with `[DONE]`.
 */
export function answerChatCompletion(
  id: string,
  request: ChatCompletionRequest,
  generation: MockGeneration,
): MockAnswer {
  const plans = planChatChoices(request, generation);
  const promptTokens = countChatPromptTokens(request.messages);
  let completionTokens = 0;
  for (const plan of plans) {
    completionTokens += countTokens(plan.kind === "text" ? plan.completion.text : plan.arguments);
  }
  const usage = chatUsage(promptTokens, completionTokens);
  const { created, chunkTokens } = generation;
  const { model } = request;

  if (!request.stream) {
    const choices = plans.map((plan, index) => ({
      index,
      message:
        plan.kind === "text"
          ? { role: "assistant", content: plan.completion.text, refusal: null }
          : {
              role: "assistant",
              content: null,
              refusal: null,
              tool_calls: [
                { id: plan.id, type: "function", function: { name: plan.name, arguments: plan.arguments } },
              ],
            },
      logprobs: null,
      finish_reason: chatFinishReason(plan),
    }));
    return {
      kind: "json",
      body: {
        id,
        object: "chat.completion",
        created,
        model,
        choices,
        usage,
        system_fingerprint: MOCK_SYSTEM_FINGERPRINT,
      },
    };
  }

  // OpenAI adds `usage: null` to every chunk once usage is asked for, and omits the key otherwise.
  const usageField = request.includeUsage ? { usage: null } : {};
  const chunk = (choices: unknown[]) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    system_fingerprint: MOCK_SYSTEM_FINGERPRINT,
    choices,
    ...usageField,
  });
  const choiceDelta = (index: number, delta: unknown, finishReason: string | null = null) => ({
    index,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });

  const events: SseEvent[] = [];
  plans.forEach((plan, index) => {
    const delta =
      plan.kind === "text"
        ? { role: "assistant", content: "", refusal: null }
        : {
            role: "assistant",
            content: null,
            tool_calls: [
              { index: 0, id: plan.id, type: "function", function: { name: plan.name, arguments: "" } },
            ],
            refusal: null,
          };
    events.push(sseEvent(chunk([choiceDelta(index, delta)])));
  });

  const groups = plans.map((plan) =>
    groupPieces(plan.kind === "text" ? plan.completion.pieces : splitTokens(plan.arguments), chunkTokens),
  );
  const stepCount = Math.max(0, ...groups.map((choiceGroups) => choiceGroups.length));
  for (let step = 0; step < stepCount; step += 1) {
    let startsStep = true;
    plans.forEach((plan, index) => {
      const group = groups[index]?.[step];
      if (group === undefined) return;
      const delta =
        plan.kind === "text"
          ? { content: group }
          : { tool_calls: [{ index: 0, function: { arguments: group } }] };
      events.push(sseEvent(chunk([choiceDelta(index, delta)]), startsStep));
      startsStep = false;
    });
  }

  plans.forEach((plan, index) => {
    events.push(sseEvent(chunk([choiceDelta(index, {}, chatFinishReason(plan))])));
  });
  if (request.includeUsage) events.push(sseEvent({ ...chunk([]), usage }));
  events.push(SSE_DONE);
  return { kind: "stream", events };
}

function promptTokenCount(prompt: string | readonly number[]): number {
  return typeof prompt === "string" ? countTokens(prompt) : prompt.length;
}

/**
 * Answers a legacy completion request. Each prompt gets `n` choices, numbered prompt by prompt.
 *
 * Usage: `prompt_tokens` is the sum of {@link countTokens} over text prompts plus the length of token-id
 * prompts; `completion_tokens` is the sum of {@link countTokens} over the choices' text.
 *
 * @param id - The completion id, `cmpl-mock-<n>`.
 * @param request - The validated request.
 * @param generation - The fake model's settings.
 * @returns A JSON body, or stream events ending with `[DONE]`.
 */
export function answerCompletion(
  id: string,
  request: CompletionRequest,
  generation: MockGeneration,
): MockAnswer {
  const { created, chunkTokens } = generation;
  const { model } = request;
  const completions: MockCompletion[] = [];
  let promptTokens = 0;
  for (const prompt of request.prompts) {
    promptTokens += promptTokenCount(prompt);
    const promptText = typeof prompt === "string" ? prompt : prompt.join(" ");
    const seed = typeof prompt === "string" ? hashText(prompt) : hashTokenIds(prompt);
    for (let choice = 0; choice < request.n; choice += 1) {
      const choiceIndex = completions.length;
      const text = generation.reply
        ? generation.reply({
            endpoint: "completions",
            model,
            prompt: promptText,
            choiceIndex,
            body: request.body,
          })
        : generateReplyText(choiceSeed(seed, choice), generation.replyTokens);
      completions.push(limitCompletion(text, request));
    }
  }
  let completionTokens = 0;
  for (const completion of completions) completionTokens += countTokens(completion.text);
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };

  const choice = (index: number, text: string, finishReason: string | null) => ({
    text,
    index,
    logprobs: null,
    finish_reason: finishReason,
  });

  if (!request.stream) {
    return {
      kind: "json",
      body: {
        id,
        object: "text_completion",
        created,
        model,
        choices: completions.map((completion, index) =>
          choice(index, completion.text, completion.finishReason),
        ),
        usage,
        system_fingerprint: MOCK_SYSTEM_FINGERPRINT,
      },
    };
  }

  const usageField = request.includeUsage ? { usage: null } : {};
  const chunk = (choices: unknown[]) => ({
    id,
    object: "text_completion",
    created,
    model,
    system_fingerprint: MOCK_SYSTEM_FINGERPRINT,
    choices,
    ...usageField,
  });
  const events: SseEvent[] = [];
  const groups = completions.map((completion) => groupPieces(completion.pieces, chunkTokens));
  const stepCount = Math.max(0, ...groups.map((choiceGroups) => choiceGroups.length));
  for (let step = 0; step < stepCount; step += 1) {
    let startsStep = true;
    groups.forEach((choiceGroups, index) => {
      const group = choiceGroups[step];
      if (group === undefined) return;
      events.push(sseEvent(chunk([choice(index, group, null)]), startsStep));
      startsStep = false;
    });
  }
  completions.forEach((completion, index) => {
    events.push(sseEvent(chunk([choice(index, "", completion.finishReason)])));
  });
  if (request.includeUsage) events.push(sseEvent({ ...chunk([]), usage }));
  events.push(SSE_DONE);
  return { kind: "stream", events };
}

/**
 * Answers an embeddings request with deterministic unit vectors (see {@link embedInput}).
 *
 * Usage: `prompt_tokens` (and `total_tokens`) is {@link countTokens} of each text input plus the length of each
 * token-id input.
 *
 * @param request - The validated request.
 * @returns The response body.
 */
export function answerEmbedding(request: EmbeddingRequest): unknown {
  const dimensions = request.dimensions ?? DEFAULT_EMBEDDING_DIMENSIONS;
  let promptTokens = 0;
  const data = request.inputs.map((input, index) => {
    promptTokens += promptTokenCount(input);
    const vector = embedInput(input, dimensions);
    const embedding =
      request.encodingFormat === "base64" ? encodeEmbeddingBase64(vector) : Array.from(vector);
    return { object: "embedding", index, embedding };
  });
  return {
    object: "list",
    data,
    model: request.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

/**
 * Describes one model as `GET /v1/models` lists it.
 *
 * @param id - The model id.
 * @returns The model object.
 */
export function describeModel(id: string): {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
} {
  return { id, object: "model", created: MODEL_CREATED, owned_by: MOCK_MODEL_OWNER };
}
