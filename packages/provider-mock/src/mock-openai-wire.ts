/**
 * OpenAI wire format on the request side: the error body, and validation of the request bodies the mock
 * upstream answers. Validation is deliberately lenient about fields the mock ignores and strict about the
 * ones it acts on, answering with OpenAI's own error shape.
 *
 * @packageDocumentation
 */

/** The `error` object of an OpenAI error response. */
export interface OpenAiErrorDetails {
  /** Human-readable description. */
  readonly message: string;
  /** Error class, e.g. `"invalid_request_error"` or `"server_error"`. */
  readonly type: string;
  /** The request parameter at fault, if any. */
  readonly param: string | null;
  /** Machine-readable code, e.g. `"invalid_api_key"`, if any. */
  readonly code: string | null;
}

/** The body of an OpenAI error response. */
export interface OpenAiErrorBody {
  /** The error. */
  readonly error: OpenAiErrorDetails;
}

/**
 * Builds an OpenAI error body.
 *
 * @param message - Human-readable description.
 * @param type - Error class; `"invalid_request_error"` when omitted.
 * @param param - Parameter at fault; `null` when omitted.
 * @param code - Machine-readable code; `null` when omitted.
 * @returns The body.
 */
export function createErrorBody(
  message: string,
  type = "invalid_request_error",
  param: string | null = null,
  code: string | null = null,
): OpenAiErrorBody {
  return { error: { message, type, param, code } };
}

/** A request the mock upstream refuses, with the status and body to answer it with. */
export class MockRequestError extends Error {
  /** HTTP status to answer with. */
  readonly status: number;
  /** OpenAI error body to answer with. */
  readonly body: OpenAiErrorBody;

  /**
   * @param status - HTTP status.
   * @param body - OpenAI error body; its message becomes the error's message.
   */
  constructor(status: number, body: OpenAiErrorBody) {
    super(body.error.message);
    this.name = "MockRequestError";
    this.status = status;
    this.body = body;
  }
}

function invalidRequest(message: string, param: string | null, code: string | null): MockRequestError {
  return new MockRequestError(400, createErrorBody(message, "invalid_request_error", param, code));
}

type JsonObject = Record<string, unknown>;

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function requireObjectBody(body: unknown): JsonObject {
  if (!isJsonObject(body))
    throw invalidRequest("The request body must be a JSON object.", null, "invalid_type");
  return body;
}

// OpenAI treats an explicit null like an absent optional parameter.
function optional(body: JsonObject, key: string): unknown {
  const value = body[key];
  return value === null ? undefined : value;
}

function requireModel(body: JsonObject): string {
  const model = optional(body, "model");
  if (model === undefined) {
    throw invalidRequest("Missing required parameter: 'model'.", "model", "missing_required_parameter");
  }
  if (typeof model !== "string" || model === "") {
    throw invalidRequest("Invalid type for 'model': expected a non-empty string.", "model", "invalid_type");
  }
  return model;
}

function readBoolean(body: JsonObject, key: string): boolean {
  const value = optional(body, key);
  if (value === undefined) return false;
  if (typeof value !== "boolean") {
    throw invalidRequest(`Invalid type for '${key}': expected a boolean.`, key, "invalid_type");
  }
  return value;
}

function readInteger(body: JsonObject, key: string, minimum: number, maximum: number): number | undefined {
  const value = optional(body, key);
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw invalidRequest(`Invalid type for '${key}': expected an integer.`, key, "invalid_type");
  }
  if (value < minimum || value > maximum) {
    throw invalidRequest(
      `Invalid '${key}': expected an integer from ${minimum} to ${maximum}, got ${value}.`,
      key,
      "invalid_value",
    );
  }
  return value;
}

function readIncludeUsage(body: JsonObject): boolean {
  const streamOptions = optional(body, "stream_options");
  if (streamOptions === undefined) return false;
  if (!isJsonObject(streamOptions)) {
    throw invalidRequest(
      "Invalid type for 'stream_options': expected an object.",
      "stream_options",
      "invalid_type",
    );
  }
  return streamOptions.include_usage === true;
}

function readStop(body: JsonObject): string[] {
  const stop = optional(body, "stop");
  if (stop === undefined) return [];
  if (typeof stop === "string") return [stop];
  if (Array.isArray(stop) && stop.length <= 4 && stop.every((sequence) => typeof sequence === "string")) {
    return stop;
  }
  throw invalidRequest(
    "Invalid 'stop': expected a string or an array of up to 4 strings.",
    "stop",
    "invalid_type",
  );
}

function readMaxTokens(body: JsonObject): number | undefined {
  // The newer name wins when a client sends both, as it does on OpenAI.
  return (
    readInteger(body, "max_completion_tokens", 1, Number.MAX_SAFE_INTEGER) ??
    readInteger(body, "max_tokens", 1, Number.MAX_SAFE_INTEGER)
  );
}

/** A function tool offered in a chat request. */
export interface MockFunctionTool {
  /** The function name. */
  readonly name: string;
  /** The function's JSON Schema parameters, as sent. */
  readonly parameters: unknown;
}

/** The request's `tool_choice`, reduced to what the mock acts on. */
export type MockToolChoice =
  | { readonly mode: "none" }
  | { readonly mode: "auto" }
  | { readonly mode: "function"; readonly name: string };

/** A validated `POST /v1/chat/completions` request. */
export interface ChatCompletionRequest {
  /** The requested model, echoed in responses. */
  readonly model: string;
  /** The conversation. */
  readonly messages: readonly JsonObject[];
  /** Whether to answer with server-sent events. */
  readonly stream: boolean;
  /** `stream_options.include_usage`. */
  readonly includeUsage: boolean;
  /** Number of choices. */
  readonly n: number;
  /** `max_completion_tokens` or `max_tokens`. */
  readonly maxTokens: number | undefined;
  /** Stop sequences. */
  readonly stop: readonly string[];
  /** The function tools, in request order. */
  readonly tools: readonly MockFunctionTool[];
  /** The tool choice. */
  readonly toolChoice: MockToolChoice;
  /** The raw body. */
  readonly body: Readonly<JsonObject>;
}

function readTools(body: JsonObject): MockFunctionTool[] {
  const tools = optional(body, "tools");
  if (tools === undefined) return [];
  if (!Array.isArray(tools))
    throw invalidRequest("Invalid type for 'tools': expected an array.", "tools", "invalid_type");
  const functionTools: MockFunctionTool[] = [];
  tools.forEach((tool: unknown, index) => {
    // Other tool types (custom tools, hosted tools) are accepted and ignored: the mock only calls functions.
    if (!isJsonObject(tool) || tool.type !== "function") return;
    const definition = tool.function;
    if (!isJsonObject(definition) || typeof definition.name !== "string" || definition.name === "") {
      throw invalidRequest(
        `Missing required parameter: 'tools[${index}].function.name'.`,
        `tools[${index}].function.name`,
        "missing_required_parameter",
      );
    }
    functionTools.push({ name: definition.name, parameters: definition.parameters });
  });
  return functionTools;
}

function readToolChoice(body: JsonObject, tools: readonly MockFunctionTool[]): MockToolChoice {
  const toolChoice = optional(body, "tool_choice");
  if (toolChoice === undefined || toolChoice === "auto" || toolChoice === "required") return { mode: "auto" };
  if (toolChoice === "none") return { mode: "none" };
  if (
    isJsonObject(toolChoice) &&
    isJsonObject(toolChoice.function) &&
    typeof toolChoice.function.name === "string"
  ) {
    const { name } = toolChoice.function;
    if (!tools.some((tool) => tool.name === name)) {
      throw invalidRequest(
        `Invalid value for 'tool_choice': no function named '${name}' was specified in 'tools'.`,
        "tool_choice",
        "invalid_value",
      );
    }
    return { mode: "function", name };
  }
  throw invalidRequest(
    "Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or a function.",
    "tool_choice",
    "invalid_value",
  );
}

/**
 * Validates a chat completion request body.
 *
 * @param body - The parsed JSON body.
 * @returns The request, reduced to what the mock acts on.
 * @throws {@link MockRequestError} (400) when `model` or `messages` is missing or a used field is invalid.
 */
export function parseChatCompletionRequest(body: unknown): ChatCompletionRequest {
  const object = requireObjectBody(body);
  const model = requireModel(object);
  const messages = optional(object, "messages");
  if (messages === undefined) {
    throw invalidRequest("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
  }
  if (!Array.isArray(messages) || messages.length === 0 || !messages.every(isJsonObject)) {
    throw invalidRequest(
      "Invalid 'messages': expected a non-empty array of message objects.",
      "messages",
      "invalid_type",
    );
  }
  const tools = readTools(object);
  return {
    model,
    messages,
    stream: readBoolean(object, "stream"),
    includeUsage: readIncludeUsage(object),
    n: readInteger(object, "n", 1, 128) ?? 1,
    maxTokens: readMaxTokens(object),
    stop: readStop(object),
    tools,
    toolChoice: readToolChoice(object, tools),
    body: object,
  };
}

/** A validated `POST /v1/completions` (legacy) request. */
export interface CompletionRequest {
  /** The requested model, echoed in responses. */
  readonly model: string;
  /** One entry per prompt: a text or its token ids. */
  readonly prompts: readonly (string | readonly number[])[];
  /** Whether to answer with server-sent events. */
  readonly stream: boolean;
  /** `stream_options.include_usage`. */
  readonly includeUsage: boolean;
  /** Choices per prompt. */
  readonly n: number;
  /** `max_tokens`. */
  readonly maxTokens: number | undefined;
  /** Stop sequences. */
  readonly stop: readonly string[];
  /** The raw body. */
  readonly body: Readonly<JsonObject>;
}

function isTokenIds(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => typeof item === "number" && Number.isInteger(item));
}

// Both `prompt` and `input` take a text, a list of texts, a list of token ids, or a list of those lists.
function readTextInputs(body: JsonObject, key: string): (string | number[])[] {
  const value = optional(body, key);
  if (value === undefined) {
    throw invalidRequest(`Missing required parameter: '${key}'.`, key, "missing_required_parameter");
  }
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.length > 0) {
    if (value.every((item) => typeof item === "string")) return value;
    if (isTokenIds(value)) return [value];
    if (value.every((item) => isTokenIds(item) && item.length > 0)) return value;
  }
  throw invalidRequest(
    `Invalid '${key}': expected a string, a non-empty array of strings, or token id arrays.`,
    key,
    "invalid_type",
  );
}

/**
 * Validates a legacy completion request body.
 *
 * @param body - The parsed JSON body.
 * @returns The request, reduced to what the mock acts on.
 * @throws {@link MockRequestError} (400) when `model` or `prompt` is missing or a used field is invalid.
 */
export function parseCompletionRequest(body: unknown): CompletionRequest {
  const object = requireObjectBody(body);
  const model = requireModel(object);
  return {
    model,
    prompts: readTextInputs(object, "prompt"),
    stream: readBoolean(object, "stream"),
    includeUsage: readIncludeUsage(object),
    n: readInteger(object, "n", 1, 128) ?? 1,
    maxTokens: readInteger(object, "max_tokens", 1, Number.MAX_SAFE_INTEGER),
    stop: readStop(object),
    body: object,
  };
}

/** A validated `POST /v1/embeddings` request. */
export interface EmbeddingRequest {
  /** The requested model, echoed in the response. */
  readonly model: string;
  /** One entry per input: a text or its token ids. */
  readonly inputs: readonly (string | readonly number[])[];
  /** Requested vector length, if set. */
  readonly dimensions: number | undefined;
  /** How vectors are encoded. */
  readonly encodingFormat: "float" | "base64";
}

/**
 * Validates an embeddings request body.
 *
 * @param body - The parsed JSON body.
 * @returns The request, reduced to what the mock acts on.
 * @throws {@link MockRequestError} (400) when `model` or `input` is missing or a used field is invalid.
 */
export function parseEmbeddingRequest(body: unknown): EmbeddingRequest {
  const object = requireObjectBody(body);
  const model = requireModel(object);
  const inputs = readTextInputs(object, "input");
  const encodingFormat = optional(object, "encoding_format") ?? "float";
  if (encodingFormat !== "float" && encodingFormat !== "base64") {
    throw invalidRequest(
      "Invalid value for 'encoding_format': expected 'float' or 'base64'.",
      "encoding_format",
      "invalid_value",
    );
  }
  return { model, inputs, dimensions: readInteger(object, "dimensions", 1, 8192), encodingFormat };
}
