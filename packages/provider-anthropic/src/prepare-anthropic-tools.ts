import { type ChatCompletionRequest, SwitchyardError } from "@switchyard/core";
import type { AnthropicTool, AnthropicToolChoice } from "./anthropic-api.js";

/** Tools, tool choice, and the name of the tool that stands in for `response_format`, if any. */
export interface PreparedTools {
  readonly tools: AnthropicTool[] | undefined;
  readonly toolChoice: AnthropicToolChoice | undefined;
  /** The tool whose input is the answer's JSON content (structured outputs), if one was added. */
  readonly responseTool: string | undefined;
}

/** Name of the tool that carries a `json_object` answer. */
export const JSON_OBJECT_TOOL = "json_response";

/**
 * OpenAI `tools` / `tool_choice` / `parallel_tool_calls` / `response_format` -> Anthropic `tools` and
 * `tool_choice`.
 *
 * - A function tool becomes `{name, description, input_schema}`; a tool without `parameters` gets an empty
 *   object schema. `strict` is not forwarded: Anthropic follows the schema without a strict switch.
 * - `tool_choice`: `auto` -> `{type:"auto"}`, `required` -> `{type:"any"}`, `none` -> `{type:"none"}`, a named
 *   function -> `{type:"tool", name}`. `parallel_tool_calls: false` -> `disable_parallel_tool_use: true`.
 * - Structured outputs have no separate switch in the Messages API: the JSON comes back as the input of a tool
 *   the model is made to call. `response_format: json_schema` adds a tool named after the schema with the
 *   schema as its `input_schema`; `json_object` adds a tool `json_response` taking any object. Alone, that tool
 *   is forced (`{type:"tool"}`); next to the client's own tools the model must call one of them
 *   (`{type:"any"}`), so the answer is either the JSON or a real tool call. The tool's input is returned as
 *   the message content.
 */
export function prepareAnthropicTools(request: ChatCompletionRequest): PreparedTools {
  const tools: AnthropicTool[] = (request.tools ?? []).map((tool, index) => ({
    name: tool.function.name,
    ...(tool.function.description ? { description: tool.function.description } : {}),
    input_schema: inputSchema(tool.function.parameters, `tools[${index}].function.parameters`),
  }));
  const disableParallel = request.parallel_tool_calls === false;
  const responseTool = responseFormatTool(request);

  if (responseTool) {
    if (tools.some((tool) => tool.name === responseTool.name)) {
      throw new SwitchyardError(
        "SWY_ERR_REQUEST_INVALID",
        `A tool named '${responseTool.name}' collides with the response_format schema name.`,
        { param: "response_format" },
      );
    }
    if (request.tool_choice === "none" && tools.length > 0) {
      throw new SwitchyardError(
        "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED",
        "With Anthropic, a JSON response_format is a tool call, so it cannot be combined with tool_choice 'none'.",
        { param: "tool_choice" },
      );
    }
    const parallel = disableParallel ? { disable_parallel_tool_use: true } : {};
    let choice: AnthropicToolChoice;
    if (typeof request.tool_choice === "object") {
      // The client forced one of its own tools: that call is the answer, the JSON tool is only offered.
      choice = { type: "tool", name: request.tool_choice.function.name, ...parallel };
    } else if (tools.length === 0) {
      choice = { type: "tool", name: responseTool.name, disable_parallel_tool_use: true };
    } else {
      choice = { type: "any", ...parallel };
    }
    return { tools: [...tools, responseTool], toolChoice: choice, responseTool: responseTool.name };
  }

  if (tools.length === 0) return { tools: undefined, toolChoice: undefined, responseTool: undefined };
  return { tools, toolChoice: toolChoice(request.tool_choice, disableParallel), responseTool: undefined };
}

function toolChoice(
  choice: ChatCompletionRequest["tool_choice"],
  disableParallel: boolean,
): AnthropicToolChoice | undefined {
  const parallel = disableParallel ? { disable_parallel_tool_use: true } : {};
  if (choice === "none") return { type: "none" };
  if (choice === "required") return { type: "any", ...parallel };
  if (typeof choice === "object") return { type: "tool", name: choice.function.name, ...parallel };
  // "auto" or absent: Anthropic's default is auto, so only say it when there is something to add.
  return choice === "auto" || disableParallel ? { type: "auto", ...parallel } : undefined;
}

function responseFormatTool(request: ChatCompletionRequest): AnthropicTool | undefined {
  const format = request.response_format;
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object") {
    return {
      name: JSON_OBJECT_TOOL,
      description:
        "Give the answer as a JSON object. Call this tool with the JSON object the conversation asks for.",
      input_schema: { type: "object" },
    };
  }
  const { description, schema } = format.json_schema;
  // The name only labels the answer (it never reaches the client), so make it one Anthropic accepts.
  const name = format.json_schema.name.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 128) || "json_response";
  return {
    name,
    description: description ?? `Give the answer as a JSON object that matches the '${name}' schema.`,
    input_schema: inputSchema(schema, "response_format.json_schema.schema"),
  };
}

function inputSchema(
  schema: Record<string, unknown> | undefined,
  param: string,
): AnthropicTool["input_schema"] {
  if (schema === undefined) return { type: "object", properties: {} };
  if (schema.type !== undefined && schema.type !== "object") {
    throw new SwitchyardError(
      "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED",
      `Anthropic tool input schemas must describe an object ('${param}' has type ${JSON.stringify(schema.type)}).`,
      { param },
    );
  }
  return { ...schema, type: "object" };
}
