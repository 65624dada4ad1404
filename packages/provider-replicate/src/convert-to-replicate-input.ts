import { type ChatCompletionRequest, type ChatMessage, SwitchyardError } from "@switchyard/core";

/** One chat turn as a prompt template sees it: text only, roles reduced to three. */
export interface ReplicateChatTurn {
  readonly role: "system" | "user" | "assistant";
  readonly content: string;
}

/** What a template returns: the model's `prompt`, its `system_prompt` if any, and any other input it sets. */
export interface ReplicatePromptInput {
  prompt: string;
  system_prompt?: string;
  [input: string]: unknown;
}

/**
 * Renders a conversation into a model's input. Replicate's language models take one `prompt` (and most a
 * `system_prompt`) rather than a list of messages; how a conversation becomes that prompt is per model.
 */
export type ReplicatePromptTemplate = (
  turns: readonly ReplicateChatTurn[],
  model: string,
) => ReplicatePromptInput;

/** How one model's input is built. */
export interface ReplicateInputSettings {
  readonly template: ReplicatePromptTemplate;
  /** The input that takes the token limit, or null when the model has none. */
  readonly maxTokensInput: string | null;
  /** The input that takes stop sequences (comma-separated), or null when the model has none. */
  readonly stopInput: string | null;
  /** The input that takes one image (URL or data URL), or null when the model takes no image. */
  readonly imageInput: string | null;
  /** Fixed inputs sent with every request (e.g. `top_k`); request fields override them. */
  readonly input: Readonly<Record<string, unknown>>;
}

/**
 * The default template. System and developer messages become `system_prompt` (joined by a blank line).
 * A single user message is the `prompt` as is, so the model's own chat template formats it. A longer
 * conversation becomes a transcript, one turn per paragraph:
 *
 * ```text
 * User: Where does the night train go?
 *
 * Assistant: North, to Trondheim.
 *
 * User: When does it leave?
 * ```
 */
export const renderTranscriptPrompt: ReplicatePromptTemplate = (turns) => {
  const system = turns.filter((turn) => turn.role === "system").map((turn) => turn.content);
  const dialogue = turns.filter((turn) => turn.role !== "system");
  const prompt =
    dialogue.length === 1 && dialogue[0]?.role === "user"
      ? dialogue[0].content
      : dialogue
          .map((turn) => `${turn.role === "user" ? "User" : "Assistant"}: ${turn.content}`)
          .join("\n\n");
  return system.length > 0 ? { prompt, system_prompt: system.join("\n\n") } : { prompt };
};

/**
 * Llama 3 / 3.1 chat format rendered in full, with `prompt_template: "{prompt}"` so the model does not wrap
 * it again: every turn keeps its role. For `meta/meta-llama-3-*` and `meta/meta-llama-3.1-*`; opt in per
 * model with `models: [{ id, template: renderLlama3Prompt }]`.
 */
export const renderLlama3Prompt: ReplicatePromptTemplate = (turns) => {
  let prompt = "<|begin_of_text|>";
  for (const turn of turns) {
    prompt += `<|start_header_id|>${turn.role}<|end_header_id|>\n\n${turn.content}<|eot_id|>`;
  }
  prompt += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return { prompt, prompt_template: "{prompt}" };
};

// Fields with no effect on what a Replicate model generates, left out without complaint.
const ignoredFields = new Set([
  "model",
  "messages",
  "stream",
  "stream_options",
  "user",
  "metadata",
  "store",
  "service_tier",
  "parallel_tool_calls",
  "prompt_cache_key",
  "safety_identifier",
]);

/**
 * A chat request -> the prediction's `input`. Everything the model cannot honour is refused with a 400
 * (`operation_not_supported`) rather than dropped: tools, JSON output modes, several choices, log
 * probabilities, audio and files, images for a model without an image input, stop sequences with commas.
 */
export function convertToReplicateInput(
  request: ChatCompletionRequest,
  model: string,
  settings: ReplicateInputSettings,
  providerName: string,
): Record<string, unknown> {
  const refuse = (param: string, what: string) =>
    new SwitchyardError("SWY_ERR_ROUTE_OPERATION_UNSUPPORTED", `${providerName}: ${what}`, { param });
  if (request.tools && request.tools.length > 0) {
    throw refuse("tools", "Replicate models have no tool-calling API; 'tools' cannot be honoured.");
  }
  if (request.tool_choice !== undefined && request.tool_choice !== "none") {
    throw refuse(
      "tool_choice",
      "Replicate models have no tool-calling API; 'tool_choice' cannot be honoured.",
    );
  }
  const format = request.response_format?.type;
  if (format !== undefined && format !== "text") {
    throw refuse(
      "response_format",
      `Replicate models have no structured-output mode; '${format}' cannot be honoured.`,
    );
  }
  if (request.n !== undefined && request.n !== null && request.n > 1) {
    throw refuse("n", "Replicate predictions return one choice; 'n' above 1 cannot be honoured.");
  }
  const fields = request as Record<string, unknown>;
  for (const field of [
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "audio",
    "prediction",
    "functions",
    "function_call",
  ]) {
    const value = fields[field];
    if (value !== undefined && value !== null && value !== false) {
      throw refuse(field, `'${field}' is not supported by Replicate models.`);
    }
  }
  const modalities = fields.modalities;
  if (Array.isArray(modalities) && modalities.some((modality) => modality !== "text")) {
    throw refuse("modalities", "Replicate language models answer in text only.");
  }

  const images: string[] = [];
  const turns = request.messages.map((message, index) => toTurn(message, index, images, refuse));
  if (images.length > 0 && settings.imageInput === null) {
    throw refuse(
      "messages",
      `the model '${model}' takes no image input (set 'imageInput' for models that do).`,
    );
  }
  if (images.length > 1) throw refuse("messages", "Replicate models take one image per prediction.");

  const input: Record<string, unknown> = { ...settings.input, ...settings.template(turns, model) };
  if (images[0] !== undefined && settings.imageInput) input[settings.imageInput] = images[0];
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens !== undefined && maxTokens !== null) {
    if (settings.maxTokensInput === null) {
      throw refuse("max_tokens", `the model '${model}' takes no token limit.`);
    }
    input[settings.maxTokensInput] = maxTokens;
  }
  for (const field of ["temperature", "top_p", "presence_penalty", "frequency_penalty", "seed"] as const) {
    const value = request[field];
    if (value !== undefined && value !== null) input[field] = value;
  }
  const stop = request.stop === undefined || request.stop === null ? [] : [request.stop].flat();
  if (stop.length > 0) {
    if (settings.stopInput === null) throw refuse("stop", `the model '${model}' takes no stop sequences.`);
    if (stop.some((sequence) => sequence.includes(","))) {
      throw refuse(
        "stop",
        "Replicate takes stop sequences as one comma-separated list: a sequence cannot contain ','.",
      );
    }
    input[settings.stopInput] = stop.join(",");
  }
  for (const field of Object.keys(fields)) {
    if (
      !ignoredFields.has(field) &&
      !handledFields.has(field) &&
      fields[field] !== undefined &&
      fields[field] !== null
    ) {
      throw refuse(field, `'${field}' is not supported by Replicate models.`);
    }
  }
  return input;
}

// Fields read above (honoured or checked); anything else unknown is refused so nothing is silently lost.
const handledFields = new Set([
  "tools",
  "tool_choice",
  "response_format",
  "n",
  "logprobs",
  "top_logprobs",
  "logit_bias",
  "audio",
  "prediction",
  "functions",
  "function_call",
  "modalities",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "presence_penalty",
  "frequency_penalty",
  "seed",
  "stop",
]);

function toTurn(
  message: ChatMessage,
  index: number,
  images: string[],
  refuse: (param: string, what: string) => SwitchyardError,
): ReplicateChatTurn {
  const param = `messages[${index}]`;
  switch (message.role) {
    case "system":
    case "developer":
      return { role: "system", content: textOf(message.content) };
    case "user": {
      if (typeof message.content === "string") return { role: "user", content: message.content };
      const texts: string[] = [];
      for (const part of message.content) {
        if (part.type === "text") texts.push(part.text);
        else if (part.type === "image_url") images.push(part.image_url.url);
        else throw refuse(`${param}.content`, `'${part.type}' content is not supported by Replicate models.`);
      }
      return { role: "user", content: texts.join("\n") };
    }
    case "assistant":
      if (message.tool_calls && message.tool_calls.length > 0) {
        throw refuse(
          param,
          "Replicate models have no tool-calling API; assistant tool calls cannot be replayed.",
        );
      }
      return { role: "assistant", content: textOf(message.content) };
    default:
      throw refuse(
        param,
        `'${message.role}' messages need tool calling, which Replicate models do not have.`,
      );
  }
}

function textOf(
  content: string | ReadonlyArray<{ type: string; text?: string; refusal?: string }> | null | undefined,
) {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  return content.map((part) => part.text ?? part.refusal ?? "").join("\n");
}
