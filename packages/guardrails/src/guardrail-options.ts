import type { Meter } from "@opentelemetry/api";
import { type Gateway, HookStage } from "@switchyard/core";
import type { Dispatcher } from "undici";
import { z } from "zod";

/**
 * Tap stages of the guardrail plugins. Request-side checks tap `respond` before `HookStage.EARLY`, so they
 * run before any cache or coalescer there can answer; answer-side checks tap at `HookStage.LATE`, after
 * other transforms. Among guardrails, the order is the order the plugins were applied.
 */
export const GuardrailStage = Object.freeze({
  /** `respond` taps of request checks (webhook, redaction, denylist). */
  REQUEST: HookStage.EARLY - 50,
  /** `transformResponse`, `transformStreamChunk` and `finalizeResponse` taps of answer checks. */
  RESPONSE: HookStage.LATE,
});

/** Which side of an exchange a guardrail looks at. */
export type GuardrailPhase = "request" | "response";

export const phasesSchema = z
  .array(z.enum(["request", "response"]))
  .min(1)
  .refine((phases) => new Set(phases).size === phases.length, "lists a phase twice");

export const httpUrlSchema = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (
      (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === ""
    );
  } catch {
    return false;
  }
}, "must be an http(s) URL without credentials (put them in `headers`)");

export const headersSchema = z.record(z.string(), z.string()).default({});

export const dispatcherSchema = z
  .custom<Dispatcher>((value) => typeof (value as Dispatcher | undefined)?.request === "function", {
    message: "Expected an undici Dispatcher",
  })
  .optional();

export const meterSchema = z
  .custom<Meter>((value) => typeof (value as Meter | undefined)?.createCounter === "function", {
    message: "Expected an OpenTelemetry Meter",
  })
  .optional();

/** The API path of an operation, as told to policy services. */
export function operationPath(operation: string): string {
  if (operation === "chat") return "/v1/chat/completions";
  return `/v1/${operation}`;
}

/** A reason a policy service gave, made safe to show a client: one line, printable, at most 300 characters. */
export function cleanReason(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const text = value.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  if (text === "") return undefined;
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/**
 * Taps `transformRequest` with a tap that changes nothing. Request checks read and rewrite the canonical
 * `context.request`; when a client speaks another dialect (Anthropic Messages, say) and its provider the
 * same one, the gateway would otherwise forward the client's raw body, unchecked and unredacted. Any
 * `transformRequest` tap switches that byte passthrough off, so this one is the guarantee that what goes
 * upstream is built from the checked request.
 */
export function forwardCheckedRequestOnly(gateway: Gateway, name: string): void {
  gateway.hooks.transformRequest.tap({ name, stage: GuardrailStage.REQUEST }, (request) => request);
}
