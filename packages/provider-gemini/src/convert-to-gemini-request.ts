import { type ChatCompletionRequest, SwitchyardError } from "@switchyard/core";
import { convertJsonSchemaToGemini } from "./convert-json-schema-to-gemini.js";
import { convertToGeminiMessages } from "./convert-to-gemini-messages.js";
import type {
  GeminiFunctionDeclaration,
  GeminiGenerateContentRequest,
  GeminiGenerationConfig,
  GeminiSafetySetting,
  GeminiToolConfig,
} from "./gemini-api.js";
import { isGemini3OrLater } from "./gemini-model-family.js";

/** Facts the request conversion needs besides the request. */
export interface ConvertRequestOptions {
  /** The Gemini model id (no `models/` prefix). */
  readonly model: string;
  /** Whether https URLs other than Files API URIs may be sent as `fileData`. */
  readonly remoteFileUrls: boolean;
  /** Sent as `safetySettings` on every request. */
  readonly safetySettings?: readonly GeminiSafetySetting[];
}

// OpenAI fields whose answer Gemini cannot produce: refused, so a client never silently gets less than it
// asked for. Fields that only describe the caller (`user`, `metadata`, `store`, `service_tier`, ...) or that
// Gemini has no switch for (`parallel_tool_calls`) are dropped instead; see the README.
const refused: ReadonlyArray<[field: string, isSet: (value: unknown) => boolean, why: string]> = [
  ["logprobs", (value) => value === true, "Gemini's log probabilities are not mapped to OpenAI's."],
  [
    "top_logprobs",
    (value) => value !== undefined && value !== null,
    "Gemini's log probabilities are not mapped.",
  ],
  [
    "logit_bias",
    (value) => typeof value === "object" && value !== null && Object.keys(value).length > 0,
    "Gemini has no logit bias.",
  ],
  [
    "modalities",
    (value) => Array.isArray(value) && value.some((modality) => modality !== "text"),
    "this provider returns text only.",
  ],
  ["audio", (value) => value !== undefined && value !== null, "this provider returns text only."],
  ["prediction", (value) => value !== undefined && value !== null, "Gemini has no predicted outputs."],
  ["web_search_options", (value) => value !== undefined && value !== null, "not mapped to Gemini's tools."],
  ["functions", (value) => value !== undefined, "use `tools` (the legacy `functions` field is not mapped)."],
  [
    "function_call",
    (value) => value !== undefined,
    "use `tool_choice` (legacy `function_call` is not mapped).",
  ],
];

const thinkingLevels: Record<string, string> = {
  none: "minimal",
  minimal: "minimal",
  low: "low",
  medium: "medium",
  high: "high",
  xhigh: "high",
};
const thinkingBudgets: Record<string, number> = {
  none: 0,
  minimal: 512,
  low: 1_024,
  medium: 8_192,
  high: 24_576,
  xhigh: 24_576,
};

/** A canonical chat request -> the body of `models/{model}:generateContent` (or `:streamGenerateContent`). */
export function convertToGeminiRequest(
  request: ChatCompletionRequest,
  options: ConvertRequestOptions,
): GeminiGenerateContentRequest {
  const fields = request as Record<string, unknown>;
  for (const [field, isSet, why] of refused) {
    if (isSet(fields[field])) {
      throw new SwitchyardError("SWY_ERR_ROUTE_OPERATION_UNSUPPORTED", `Unsupported '${field}': ${why}`, {
        param: field,
      });
    }
  }
  const body: GeminiGenerateContentRequest = convertToGeminiMessages(request.messages, options);
  const declarations = (request.tools ?? []).map((tool, index): GeminiFunctionDeclaration => {
    const declaration: GeminiFunctionDeclaration = { name: tool.function.name };
    if (tool.function.description !== undefined) declaration.description = tool.function.description;
    const parameters = tool.function.parameters
      ? convertJsonSchemaToGemini(tool.function.parameters, `tools[${index}].function.parameters`)
      : undefined;
    if (parameters !== undefined) declaration.parameters = parameters;
    return declaration;
  });
  if (declarations.length > 0) body.tools = [{ functionDeclarations: declarations }];
  const toolConfig = convertToolChoice(request.tool_choice, declarations);
  if (toolConfig) body.toolConfig = toolConfig;
  const generationConfig = convertGenerationConfig(request, options.model);
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  if (options.safetySettings && options.safetySettings.length > 0) {
    body.safetySettings = options.safetySettings.map((setting) => ({ ...setting }));
  }
  return body;
}

function convertToolChoice(
  choice: ChatCompletionRequest["tool_choice"],
  declarations: readonly GeminiFunctionDeclaration[],
): GeminiToolConfig | undefined {
  if (choice === undefined) return undefined;
  if (declarations.length === 0) {
    if (choice === "none" || choice === "auto") return undefined;
    throw invalid("tool_choice", "a tool choice other than 'none' or 'auto' needs `tools`.");
  }
  if (choice === "auto") return { functionCallingConfig: { mode: "AUTO" } };
  if (choice === "none") return { functionCallingConfig: { mode: "NONE" } };
  if (choice === "required") return { functionCallingConfig: { mode: "ANY" } };
  const name = choice.function.name;
  if (!declarations.some((declaration) => declaration.name === name)) {
    throw invalid("tool_choice", `no tool is named '${name}'.`);
  }
  return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [name] } };
}

function convertGenerationConfig(request: ChatCompletionRequest, model: string): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {};
  if (request.temperature != null) config.temperature = request.temperature;
  if (request.top_p != null) config.topP = request.top_p;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) config.maxOutputTokens = maxTokens;
  if (typeof request.stop === "string") config.stopSequences = [request.stop];
  else if (Array.isArray(request.stop) && request.stop.length > 0) config.stopSequences = [...request.stop];
  if (request.n != null) config.candidateCount = request.n;
  if (request.seed != null) config.seed = request.seed;
  // Only non-zero penalties are sent: several Gemini models refuse the field outright ("Penalty is not
  // enabled"), and clients often send an explicit 0 meaning "off".
  if (request.presence_penalty) config.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty) config.frequencyPenalty = request.frequency_penalty;
  const format = request.response_format;
  if (format?.type === "json_object") config.responseMimeType = "application/json";
  if (format?.type === "json_schema") {
    config.responseMimeType = "application/json";
    if (format.json_schema.schema) config.responseJsonSchema = format.json_schema.schema;
  }
  const effort = (request as Record<string, unknown>).reasoning_effort;
  if (effort !== undefined && effort !== null) {
    if (typeof effort !== "string" || !(effort in thinkingBudgets)) {
      throw invalid("reasoning_effort", `unknown effort '${String(effort)}'.`);
    }
    // Gemini 3 takes a thinking level, earlier thinking models a token budget.
    config.thinkingConfig = isGemini3OrLater(model)
      ? { thinkingLevel: thinkingLevels[effort] as string }
      : { thinkingBudget: thinkingBudgets[effort] as number };
  }
  return config;
}

function invalid(param: string, problem: string): SwitchyardError {
  return new SwitchyardError("SWY_ERR_REQUEST_INVALID", `Invalid '${param}': ${problem}`, { param });
}
