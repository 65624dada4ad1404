import { SwitchyardError } from "@switchyard/core";
import type { GeminiSchema } from "./gemini-api.js";

// Function declarations take Gemini's `Schema`: a subset of OpenAPI 3.0, not JSON Schema. The API answers
// 400 ("Unknown name \"additionalProperties\"", "Proto field is not repeating" for `type: [..]`) for what
// it does not know, so OpenAI-style JSON Schemas are rewritten: known keywords kept, unions and `null`
// types folded into `nullable`/`anyOf`, local `$ref`s inlined, everything else dropped.

const kept = new Set([
  "description",
  "title",
  "nullable",
  "minItems",
  "maxItems",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "pattern",
  "minProperties",
  "maxProperties",
  "default",
  "example",
  "propertyOrdering",
]);

// Gemini accepts only these `format`s ("only 'enum' and 'date-time' are supported for STRING type").
const keptFormats = new Set(["enum", "date-time", "int32", "int64", "float", "double"]);

type JsonSchema = Record<string, unknown>;

/**
 * Converts the JSON Schema of a tool's `parameters` into Gemini's schema subset. Returns undefined for an
 * object schema without properties: Gemini refuses an OBJECT with empty `properties`, and a function that
 * takes nothing is declared without `parameters`.
 */
export function convertJsonSchemaToGemini(schema: JsonSchema, param: string): GeminiSchema | undefined {
  const converted = convert(schema, { root: schema, refs: [], param });
  const properties = converted.properties as Record<string, unknown> | undefined;
  if (converted.type === "object" && (properties === undefined || Object.keys(properties).length === 0)) {
    return undefined;
  }
  return converted;
}

interface Walk {
  readonly root: JsonSchema;
  /** `$ref`s being expanded, to refuse recursive schemas (Gemini's Schema has no references). */
  readonly refs: readonly string[];
  readonly param: string;
}

function convert(input: unknown, walk: Walk): GeminiSchema {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return {};
  let schema = input as JsonSchema;
  if (typeof schema.$ref === "string")
    schema = { ...resolveRef(schema.$ref, walk), ...without(schema, "$ref") };
  if (Array.isArray(schema.allOf)) schema = mergeAllOf(schema, walk);
  const out: GeminiSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (kept.has(key)) out[key] = value;
  }
  applyType(schema.type, out);
  if (typeof schema.format === "string" && keptFormats.has(schema.format)) out.format = schema.format;
  if (schema.const !== undefined) {
    out.enum = [schema.const];
    if (typeof schema.const === "string") out.type ??= "string";
  }
  if (Array.isArray(schema.enum)) out.enum = schema.enum;
  // Gemini's enums are strings; a numeric enum would be refused, so it is left to the description.
  if (Array.isArray(out.enum) && !out.enum.every((value) => typeof value === "string")) delete out.enum;
  if (schema.properties && typeof schema.properties === "object") {
    const properties: Record<string, GeminiSchema> = {};
    for (const [name, value] of Object.entries(schema.properties as JsonSchema)) {
      properties[name] = convert(value, walk);
    }
    out.properties = properties;
  }
  if (Array.isArray(schema.required)) out.required = schema.required;
  if (schema.items !== undefined && !Array.isArray(schema.items)) out.items = convert(schema.items, walk);
  const union = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : [];
  if (union.length > 0) applyUnion(union, out, walk);
  return out;
}

/** `type: "string"` stays; `type: ["string", "null"]` becomes `type: "string", nullable: true`. */
function applyType(type: unknown, out: GeminiSchema): void {
  if (typeof type === "string") {
    out.type = type;
    return;
  }
  if (!Array.isArray(type)) return;
  const types = type.filter((entry): entry is string => typeof entry === "string" && entry !== "null");
  if (types.length < type.length) out.nullable = true;
  if (types.length === 1) out.type = types[0];
  else if (types.length > 1) out.anyOf = types.map((entry) => ({ type: entry }));
}

/** `anyOf`/`oneOf`: `null` members become `nullable`; a single remaining member is inlined. */
function applyUnion(union: readonly unknown[], out: GeminiSchema, walk: Walk): void {
  const isNull = (member: unknown) =>
    typeof member === "object" && member !== null && (member as JsonSchema).type === "null";
  const members = union.filter((member) => !isNull(member)).map((member) => convert(member, walk));
  if (members.length < union.length) out.nullable = true;
  if (members.length === 1) Object.assign(out, members[0], out.nullable ? { nullable: true } : {});
  else if (members.length > 1) out.anyOf = members;
}

function mergeAllOf(schema: JsonSchema, walk: Walk): JsonSchema {
  let merged: JsonSchema = without(schema, "allOf");
  for (const part of schema.allOf as unknown[]) {
    if (typeof part !== "object" || part === null) continue;
    let member = part as JsonSchema;
    if (typeof member.$ref === "string")
      member = { ...resolveRef(member.$ref, walk), ...without(member, "$ref") };
    merged = {
      ...merged,
      ...member,
      properties: { ...(merged.properties as object), ...(member.properties as object) },
      required: [...asArray(merged.required), ...asArray(member.required)],
    };
  }
  if (asArray(merged.required).length === 0) delete merged.required;
  if (Object.keys(merged.properties as object).length === 0) delete merged.properties;
  return merged;
}

function resolveRef(ref: string, walk: Walk): JsonSchema {
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  const definitions = match ? (walk.root[match[1] as string] as JsonSchema | undefined) : undefined;
  const target = match && definitions ? definitions[decodeURIComponent(match[2] as string)] : undefined;
  if (typeof target !== "object" || target === null) {
    throw new SwitchyardError(
      "SWY_ERR_REQUEST_INVALID",
      `Invalid '${walk.param}': the schema reference '${ref}' does not resolve to a local definition.`,
      { param: walk.param },
    );
  }
  if (walk.refs.includes(ref)) {
    throw new SwitchyardError(
      "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED",
      `Invalid '${walk.param}': Gemini function declarations cannot express the recursive schema '${ref}'.`,
      { param: walk.param },
    );
  }
  // References below this one are inlined now, with this one marked as in progress.
  return inlineRefs(target, { ...walk, refs: [...walk.refs, ref] });
}

/** Deep-copies a schema with every local `$ref` below it inlined (recursion refused). */
function inlineRefs(value: unknown, walk: Walk): JsonSchema {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (typeof node !== "object" || node === null) return node;
    const record = node as JsonSchema;
    if (typeof record.$ref === "string")
      return { ...resolveRef(record.$ref, walk), ...without(record, "$ref") };
    const copy: JsonSchema = {};
    for (const [key, child] of Object.entries(record)) copy[key] = visit(child);
    return copy;
  };
  return visit(value) as JsonSchema;
}

function without(schema: JsonSchema, key: string): JsonSchema {
  const { [key]: _dropped, ...rest } = schema;
  return rest;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
