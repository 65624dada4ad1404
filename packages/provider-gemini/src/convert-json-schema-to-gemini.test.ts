import { describe, expect, it } from "vitest";
import { convertJsonSchemaToGemini } from "./convert-json-schema-to-gemini.js";

const convert = (schema: Record<string, unknown>) =>
  convertJsonSchemaToGemini(schema, "tools[0].function.parameters");

describe("convertJsonSchemaToGemini", () => {
  it("rewrites an OpenAI strict schema into Gemini's subset", () => {
    expect(
      convert({
        $schema: "http://json-schema.org/draft-07/schema#",
        type: "object",
        additionalProperties: false,
        properties: {
          city: { type: "string", description: "City name", minLength: 1 },
          unit: { type: ["string", "null"], enum: ["c", "f"] },
          days: { type: "integer", minimum: 1, maximum: 7, exclusiveMaximum: 8, multipleOf: 1 },
          when: { type: "string", format: "date-time" },
          email: { type: "string", format: "email" },
          tags: {
            type: "array",
            uniqueItems: true,
            items: { type: "object", additionalProperties: false, properties: { name: { type: "string" } } },
          },
        },
        required: ["city", "unit", "days", "when", "email", "tags"],
      }),
    ).toEqual({
      type: "object",
      properties: {
        city: { type: "string", description: "City name", minLength: 1 },
        unit: { type: "string", nullable: true, enum: ["c", "f"] },
        days: { type: "integer", minimum: 1, maximum: 7 },
        when: { type: "string", format: "date-time" },
        email: { type: "string" },
        tags: { type: "array", items: { type: "object", properties: { name: { type: "string" } } } },
      },
      required: ["city", "unit", "days", "when", "email", "tags"],
    });
  });

  it("folds unions: null members into nullable, a single member inlined, several kept as anyOf", () => {
    expect(
      convert({
        type: "object",
        properties: {
          a: { anyOf: [{ type: "number" }, { type: "null" }] },
          b: { oneOf: [{ type: "string" }, { type: "integer" }] },
          c: { type: ["string", "number"] },
          d: { const: "fixed" },
          e: { type: "integer", enum: [1, 2, 3] },
        },
      }),
    ).toEqual({
      type: "object",
      properties: {
        a: { type: "number", nullable: true },
        b: { anyOf: [{ type: "string" }, { type: "integer" }] },
        c: { anyOf: [{ type: "string" }, { type: "number" }] },
        d: { type: "string", enum: ["fixed"] },
        e: { type: "integer" },
      },
    });
  });

  it("inlines local $refs and merges allOf", () => {
    expect(
      convert({
        type: "object",
        $defs: { place: { type: "object", properties: { name: { type: "string" } }, required: ["name"] } },
        properties: {
          from: { $ref: "#/$defs/place", description: "Start" },
          to: { allOf: [{ $ref: "#/$defs/place" }, { properties: { platform: { type: "integer" } } }] },
        },
      }),
    ).toEqual({
      type: "object",
      properties: {
        from: {
          type: "object",
          properties: { name: { type: "string" } },
          required: ["name"],
          description: "Start",
        },
        to: {
          type: "object",
          properties: { name: { type: "string" }, platform: { type: "integer" } },
          required: ["name"],
        },
      },
    });
  });

  it("refuses recursive and dangling references, naming the parameter", () => {
    expect(() =>
      convert({
        type: "object",
        properties: { node: { $ref: "#/definitions/node" } },
        definitions: { node: { type: "object", properties: { child: { $ref: "#/definitions/node" } } } },
      }),
    ).toThrow(
      expect.objectContaining({
        code: "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED",
        param: "tools[0].function.parameters",
      }),
    );
    expect(() => convert({ type: "object", properties: { x: { $ref: "#/$defs/missing" } } })).toThrow(
      expect.objectContaining({ code: "SWY_ERR_REQUEST_INVALID" }),
    );
  });

  it("returns nothing for a function without parameters", () => {
    expect(convert({ type: "object", properties: {}, additionalProperties: false })).toBeUndefined();
    expect(convert({ type: "object" })).toBeUndefined();
  });
});
