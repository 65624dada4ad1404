import {
  type ChatCompletionRequest,
  type ChatMessage,
  type ContentPart,
  SwitchyardError,
} from "@switchyard/core";
import type {
  ResponsesContentPart,
  ResponsesFunctionCallItem,
  ResponsesFunctionCallOutputItem,
  ResponsesFunctionTool,
  ResponsesMessageItem,
  ResponsesRequest,
} from "./responses-request.js";

type CanonicalTool = NonNullable<ChatCompletionRequest["tools"]>[number];
type AssistantMessage = Extract<ChatMessage, { role: "assistant" }>;

/**
 * A Responses API request (already checked) -> the canonical OpenAI chat request. The dialect is stateless:
 * the conversation is what the client sends in `input`, so anything that points at state kept by OpenAI
 * (`previous_response_id`, `conversation`, `item_reference` items, stored `prompt`s, `background`) is
 * refused with a 400 that says so, as are built-in tools (web search, file search, code interpreter, ...),
 * which only OpenAI's servers run.
 *
 * - `instructions` -> a leading `system` message; `input` as a string -> one user message.
 * - Message items keep their role; `input_text` / `output_text` -> text, `input_image` (URL or data URL) ->
 *   `image_url` (`detail` kept unless `original`), `input_file` (`file_data` or `file_id`) -> `file`,
 *   `input_audio` -> `input_audio`, `refusal` -> text of the assistant turn.
 * - `function_call` items -> `tool_calls` of an assistant message (one that directly precedes them, or a new
 *   one); `function_call_output` -> `tool` messages (text; images a tool returned follow in a user message).
 * - `reasoning` items are dropped: their (encrypted) content is only meaningful to the model that made it.
 * - Function tools (flat shape) -> canonical tools; `tool_choice` keeps its meaning (`allowed_tools` narrows
 *   the tool list); `text.format` -> `response_format`; `text.verbosity` -> `verbosity`; `reasoning.effort`
 *   -> `reasoning_effort`; `max_output_tokens` -> `max_completion_tokens`; `temperature`, `top_p`,
 *   `parallel_tool_calls` (with tools), `user`, `safety_identifier`, `prompt_cache_key`, `service_tier` as is.
 * - Dropped: `store` (nothing is stored), `include`, `truncation`, `metadata`, `top_logprobs`,
 *   `reasoning.summary`, `stream_options` (the gateway asks the upstream for usage itself).
 */
export function convertToCanonicalRequest(request: ResponsesRequest): ChatCompletionRequest {
  refuseStatefulFields(request);
  const messages: ChatMessage[] = [];
  if (typeof request.instructions === "string" && request.instructions !== "") {
    messages.push({ role: "system", content: request.instructions });
  }
  if (typeof request.input === "string") messages.push({ role: "user", content: request.input });
  else if (request.input !== undefined) messages.push(...convertItems(request.input));
  if (messages.every((message) => message.role === "system" || message.role === "developer")) {
    throw new SwitchyardError(
      "SWY_ERR_REQUEST_INVALID",
      "'input' is required: this gateway keeps no conversations, so the whole conversation comes in 'input'.",
      { param: "input" },
    );
  }

  const canonical: ChatCompletionRequest = { model: request.model, messages };
  let tools = (request.tools ?? []).map(convertTool);
  const choice = convertToolChoice(request.tool_choice, tools);
  if (choice.allowed !== undefined) {
    const allowed = choice.allowed;
    tools = tools.filter((tool) => allowed.has(tool.function.name));
  }
  if (tools.length > 0) {
    canonical.tools = tools;
    if (choice.value !== undefined) canonical.tool_choice = choice.value;
    if (typeof request.parallel_tool_calls === "boolean") {
      canonical.parallel_tool_calls = request.parallel_tool_calls;
    }
  }
  const format = responseFormat(request.text?.format);
  if (format !== undefined) canonical.response_format = format;
  if (typeof request.max_output_tokens === "number")
    canonical.max_completion_tokens = request.max_output_tokens;
  if (typeof request.temperature === "number") canonical.temperature = request.temperature;
  if (typeof request.top_p === "number") canonical.top_p = request.top_p;
  if (request.stream === true) canonical.stream = true;
  const fields = canonical as Record<string, unknown>;
  if (typeof request.reasoning?.effort === "string") fields.reasoning_effort = request.reasoning.effort;
  if (typeof request.text?.verbosity === "string") fields.verbosity = request.text.verbosity;
  if (typeof request.user === "string") canonical.user = request.user;
  for (const field of ["safety_identifier", "prompt_cache_key", "service_tier"] as const) {
    const value = request[field];
    if (typeof value === "string") fields[field] = value;
  }
  return canonical;
}

function refuseStatefulFields(request: ResponsesRequest): void {
  const stateless = "this gateway is stateless and keeps no responses or conversations";
  if (request.previous_response_id != null) {
    throw unsupported(
      `'previous_response_id' is not supported: ${stateless}. Send the earlier input and output items in 'input' instead.`,
      "previous_response_id",
    );
  }
  if (request.conversation != null) {
    throw unsupported(
      `'conversation' is not supported: ${stateless}. Send the items in 'input'.`,
      "conversation",
    );
  }
  if (request.background === true) {
    throw unsupported(`'background' responses are not supported: ${stateless}.`, "background");
  }
  if (request.prompt != null) {
    throw unsupported(
      "Stored prompts ('prompt') are not supported: send 'instructions' and 'input'.",
      "prompt",
    );
  }
}

function convertItems(items: ReadonlyArray<{ type?: string | undefined }>): ChatMessage[] {
  const messages: ChatMessage[] = [];
  // Images from tool outputs: tool messages carry text only, so they follow the run of tool messages.
  let toolImages: ContentPart[] = [];
  const flushToolImages = () => {
    if (toolImages.length === 0) return;
    messages.push({ role: "user", content: toolImages });
    toolImages = [];
  };
  items.forEach((item, index) => {
    const param = `input[${index}]`;
    const type = item.type ?? "message";
    if (type !== "function_call_output") flushToolImages();
    switch (type) {
      case "message":
        messages.push(convertMessage(item as ResponsesMessageItem, param));
        return;
      case "function_call": {
        const call = item as ResponsesFunctionCallItem;
        const toolCall = {
          id: call.call_id,
          type: "function" as const,
          function: { name: call.name, arguments: call.arguments },
        };
        const last = messages.at(-1);
        if (last?.role === "assistant") last.tool_calls = [...(last.tool_calls ?? []), toolCall];
        else messages.push({ role: "assistant", content: null, tool_calls: [toolCall] });
        return;
      }
      case "function_call_output": {
        const output = item as ResponsesFunctionCallOutputItem;
        const texts: string[] = [];
        if (typeof output.output === "string") texts.push(output.output);
        else {
          output.output.forEach((part, partIndex) => {
            const converted = convertPart(part, `${param}.output[${partIndex}]`);
            if (converted.type === "text") texts.push(converted.text);
            else toolImages.push(converted);
          });
        }
        messages.push({ role: "tool", tool_call_id: output.call_id, content: texts.join("\n") });
        return;
      }
      case "reasoning":
        return;
      case "item_reference":
        throw unsupported(
          "'item_reference' items are not supported: this gateway is stateless and stores no items. Send the items themselves.",
          `${param}.type`,
        );
      default:
        throw unsupported(
          `Input items of type '${type}' are not supported: this gateway runs no built-in tools; only messages, function calls and function call outputs are.`,
          `${param}.type`,
        );
    }
  });
  flushToolImages();
  return messages;
}

function convertMessage(item: ResponsesMessageItem, param: string): ChatMessage {
  const { role } = item;
  if (typeof item.content === "string") return { role, content: item.content } as ChatMessage;
  const parts = item.content.map((part, index) => convertPart(part, `${param}.content[${index}]`));
  if (role === "assistant") {
    const message: AssistantMessage = {
      role,
      content: parts.map((part) => (part.type === "text" ? part.text : "")).join(""),
    };
    return message;
  }
  if (role === "system" || role === "developer") {
    const nonText = parts.findIndex((part) => part.type !== "text");
    if (nonText !== -1) {
      throw new SwitchyardError(
        "SWY_ERR_REQUEST_INVALID",
        `Invalid '${param}.content[${nonText}]': ${role} messages take text only.`,
        { param: `${param}.content[${nonText}]` },
      );
    }
    return { role, content: parts as Array<{ type: "text"; text: string }> };
  }
  return { role, content: parts };
}

function convertPart(part: ResponsesContentPart, param: string): ContentPart {
  switch (part.type) {
    case "input_text":
    case "output_text":
      return { type: "text", text: part.text };
    case "refusal":
      return { type: "text", text: part.refusal };
    case "input_image": {
      if (typeof part.image_url !== "string") {
        throw unsupported(
          "Images by 'file_id' are not supported: send 'image_url' (a URL or a base64 data URL).",
          `${param}.file_id`,
        );
      }
      const detail =
        part.detail === "low" || part.detail === "high" || part.detail === "auto" ? part.detail : undefined;
      return { type: "image_url", image_url: { url: part.image_url, ...(detail ? { detail } : {}) } };
    }
    case "input_file": {
      if (typeof part.file_data === "string") {
        return {
          type: "file",
          file: {
            file_data: part.file_data,
            ...(part.filename !== undefined ? { filename: part.filename } : {}),
          },
        };
      }
      if (typeof part.file_id === "string") return { type: "file", file: { file_id: part.file_id } };
      throw unsupported(
        "Files by 'file_url' are not supported: send 'file_data' (a base64 data URL).",
        param,
      );
    }
    case "input_audio":
      return {
        type: "input_audio",
        input_audio: { data: part.input_audio.data, format: part.input_audio.format },
      };
  }
}

function convertTool(tool: { type: string }, index: number): CanonicalTool {
  if (tool.type !== "function") {
    throw unsupported(
      `Built-in tools ('${tool.type}') are not supported: this gateway runs no tools itself; send function tools.`,
      `tools[${index}].type`,
    );
  }
  const fn = tool as ResponsesFunctionTool;
  return {
    type: "function",
    function: {
      name: fn.name,
      ...(typeof fn.description === "string" ? { description: fn.description } : {}),
      ...(fn.parameters ? { parameters: fn.parameters } : {}),
      ...(typeof fn.strict === "boolean" ? { strict: fn.strict } : {}),
    },
  };
}

function convertToolChoice(
  choice: ResponsesRequest["tool_choice"],
  tools: readonly CanonicalTool[],
): { value: ChatCompletionRequest["tool_choice"]; allowed?: ReadonlySet<string> } {
  if (choice === undefined || typeof choice === "string") return { value: choice };
  const fields = choice as Record<string, unknown>;
  if (choice.type === "function" && typeof fields.name === "string") {
    return { value: { type: "function", function: { name: fields.name } } };
  }
  if (choice.type === "allowed_tools" && Array.isArray(fields.tools)) {
    const allowed = new Set<string>();
    for (const [index, entry] of (fields.tools as Array<Record<string, unknown>>).entries()) {
      if (entry?.type !== "function" || typeof entry.name !== "string") {
        throw unsupported("'allowed_tools' may list function tools only.", `tool_choice.tools[${index}]`);
      }
      allowed.add(entry.name);
    }
    const known = new Set(tools.map((tool) => tool.function.name));
    const missing = [...allowed].find((name) => !known.has(name));
    if (missing !== undefined) {
      throw new SwitchyardError(
        "SWY_ERR_REQUEST_INVALID",
        `Invalid 'tool_choice.tools': '${missing}' is not one of 'tools'.`,
        { param: "tool_choice.tools" },
      );
    }
    return { value: fields.mode === "required" ? "required" : "auto", allowed };
  }
  throw unsupported(
    `'tool_choice' of type '${choice.type}' is not supported: this gateway runs no built-in tools.`,
    "tool_choice",
  );
}

function responseFormat(
  format: NonNullable<ResponsesRequest["text"]>["format"],
): ChatCompletionRequest["response_format"] {
  if (format === undefined || format.type === "text") return undefined;
  if (format.type === "json_object") return { type: "json_object" };
  const fields = format as Record<string, unknown>;
  if (typeof fields.name !== "string" || fields.name === "") {
    throw new SwitchyardError("SWY_ERR_REQUEST_INVALID", "Invalid 'text.format.name': a name is required.", {
      param: "text.format.name",
    });
  }
  const schema = fields.schema;
  return {
    type: "json_schema",
    json_schema: {
      name: fields.name,
      ...(typeof schema === "object" && schema !== null ? { schema: schema as Record<string, unknown> } : {}),
      ...(typeof fields.description === "string" ? { description: fields.description } : {}),
      ...(typeof fields.strict === "boolean" ? { strict: fields.strict } : {}),
    },
  };
}

function unsupported(message: string, param: string): SwitchyardError {
  return new SwitchyardError("SWY_ERR_ROUTE_OPERATION_UNSUPPORTED", message, { param });
}
