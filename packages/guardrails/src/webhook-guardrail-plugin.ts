import type { Meter } from "@opentelemetry/api";
import {
  type CanonicalRequest,
  type CanonicalResponse,
  chatCompletionRequestSchema,
  chatCompletionResponseSchema,
  completionRequestSchema,
  embeddingRequestSchema,
  encodeSseEvent,
  type Gateway,
  type GatewayHttpResponse,
  type Plugin,
  parseOptions,
  parseRequest,
  type RequestContext,
  SseReader,
  SwitchyardError,
  toSwitchyardError,
} from "@switchyard/core";
import type { Dispatcher } from "undici";
import { z } from "zod";
import {
  cleanReason,
  dispatcherSchema,
  forwardCheckedRequestOnly,
  type GuardrailPhase,
  GuardrailStage,
  headersSchema,
  httpUrlSchema,
  meterSchema,
  phasesSchema,
} from "./guardrail-options.js";
import { GuardrailTelemetry } from "./guardrail-telemetry.js";
import { PolicyClient, type PolicyFailure } from "./policy-client.js";
import { encodeAsStream, StreamAssembler } from "./stream-assembler.js";

const PLUGIN_NAME = "switchyard:webhook-guardrail";

/** Options of {@link createWebhookGuardrailPlugin}. */
export interface WebhookGuardrailOptions {
  /** The webhook's URL (http or https). Fixed here: never taken from a request. */
  url: string;
  /** Deadline for one call (connect, answer, body). @default 2000 */
  timeoutMs?: number;
  /**
   * When the webhook times out, is unreachable, answers a non-2xx status or an answer that is not a verdict
   * (or a `modify` whose replacement is invalid): `true` lets the request or answer through unchecked,
   * `false` refuses it with 503 `SWY_ERR_POLICY_UNAVAILABLE`. Both are logged and counted. @default false
   */
  failOpen?: boolean;
  /**
   * What is checked: the request before routing (once per request, whatever the retries and fallbacks),
   * and/or the answer. @default ["request"]
   */
  on?: readonly GuardrailPhase[];
  /**
   * How streamed answers are checked when `on` includes `"response"`. `"buffer"`: the whole stream is
   * held until it ends, checked once, then sent (or replaced by an error event): the client sees nothing
   * until then, so streaming loses its point, but nothing unchecked reaches it. `"unchecked"`: streams go
   * through as they come, not checked. A check per chunk is not offered: one HTTP call per token costs
   * more than the model, and a chunk alone rarely means anything. @default "buffer"
   */
  streamMode?: "buffer" | "unchecked";
  /** Largest stream held in `"buffer"` mode; a longer one is treated like an unavailable webhook. @default 4194304 (4 MiB) */
  maxBufferBytes?: number;
  /** Headers sent to the webhook on every call, e.g. its own credentials. @default {} */
  headers?: Readonly<Record<string, string>>;
  /** Longest webhook answer read (a `modify` may return a whole request). @default 10485760 (10 MiB) */
  maxResponseBytes?: number;
  /** Tells several webhook plugins apart: the plugin is named `switchyard:webhook-guardrail:<name>`. @default undefined */
  name?: string;
  /** An undici dispatcher of your own (custom CA, client certificate, proxy). @default a keep-alive Pool */
  dispatcher?: Dispatcher;
  /** Where the decision counter goes. @default metrics.getMeter("@switchyard/guardrails") */
  meter?: Meter;
}

/** The webhook guardrail plugin; `close()` releases its connection pool. */
export interface WebhookGuardrailPlugin extends Plugin {
  close(): Promise<void>;
}

/** What the webhook answers. */
export type WebhookVerdict =
  | { readonly action: "allow" }
  | { readonly action: "deny"; readonly reason?: string }
  | {
      readonly action: "modify";
      readonly request?: Record<string, unknown>;
      readonly response?: Record<string, unknown>;
    };

const verdictSchema = z.discriminatedUnion("action", [
  z.looseObject({ action: z.literal("allow") }),
  z.looseObject({ action: z.literal("deny"), reason: z.string().optional() }),
  z.looseObject({
    action: z.literal("modify"),
    request: z.record(z.string(), z.unknown()).optional(),
    response: z.record(z.string(), z.unknown()).optional(),
  }),
]);

const optionsSchema = z
  .object({
    url: httpUrlSchema,
    timeoutMs: z.number().int().positive().max(120_000).default(2_000),
    failOpen: z.boolean().default(false),
    on: phasesSchema.default(["request"]),
    streamMode: z.enum(["buffer", "unchecked"]).default("buffer"),
    maxBufferBytes: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024),
    headers: headersSchema,
    maxResponseBytes: z
      .number()
      .int()
      .positive()
      .default(10 * 1024 * 1024),
    name: z
      .string()
      .regex(/^[\w.-]{1,64}$/)
      .optional(),
    dispatcher: dispatcherSchema,
    meter: meterSchema,
  })
  .strict();

const requestSchemas: Readonly<Record<RequestContext["operation"], z.ZodType<CanonicalRequest>>> = {
  chat: chatCompletionRequestSchema,
  completions: completionRequestSchema,
  embeddings: embeddingRequestSchema,
};

// What a replacement request may not change: the route and the stream were decided from the original.
const PINNED_REQUEST_FIELDS = ["model", "stream", "stream_options"] as const;

class InvalidVerdict extends Error {}

/**
 * Checks requests (and optionally answers) with an HTTP webhook of yours. The webhook gets
 * `{ phase, requestId, operation, model, stream, principal, request, response? }` and answers
 * `{ "action": "allow" }`, `{ "action": "deny", "reason": "..." }` (400 `SWY_ERR_POLICY_DENIED`, the reason
 * shown to the client) or `{ "action": "modify", "request": {...} }` / `{ "action": "modify", "response": {...} }`
 * (a replacement, validated like a client's).
 */
export function createWebhookGuardrailPlugin(options: WebhookGuardrailOptions): WebhookGuardrailPlugin {
  const settings = parseOptions(optionsSchema, options, "webhook guardrail");
  const name = settings.name ? `${PLUGIN_NAME}:${settings.name}` : PLUGIN_NAME;
  const client = new PolicyClient({
    url: settings.url,
    timeoutMs: settings.timeoutMs,
    headers: settings.headers,
    maxResponseBytes: settings.maxResponseBytes,
    dispatcher: settings.dispatcher,
  });
  const telemetry = new GuardrailTelemetry(name, settings.meter);

  // `undefined`: the webhook could not decide and the plugin fails open.
  const unavailable = (
    context: RequestContext,
    failure: PolicyFailure | "stream-too-large" | "stream-dialect",
    cause: unknown,
  ): undefined => {
    telemetry.serviceFailed(context.id, failure, settings.failOpen, cause);
    if (settings.failOpen) return undefined;
    throw new SwitchyardError(
      "SWY_ERR_POLICY_UNAVAILABLE",
      failure === "stream-too-large"
        ? "The answer is too long for the content policy check."
        : failure === "stream-dialect"
          ? `The content policy cannot check streamed answers in this API ('${context.dialect}'); ask without streaming.`
          : "The content policy service is unavailable; try again shortly.",
      { retryAfterMs: 1_000, cause },
    );
  };

  const ask = async (
    phase: GuardrailPhase,
    context: RequestContext,
    response?: CanonicalResponse,
  ): Promise<WebhookVerdict | undefined> => {
    const result = await client.post(
      {
        phase,
        requestId: context.id,
        dialect: context.dialect,
        operation: context.operation,
        model: context.model,
        stream: context.stream,
        principal: context.principal ?? null,
        request: context.request,
        ...(response === undefined ? {} : { response }),
      },
      context.id,
      context.signal,
    );
    if (!result.ok) return unavailable(context, result.failure, result.cause ?? result.status);
    if (result.status < 200 || result.status > 299)
      return unavailable(context, "bad-status", `HTTP ${result.status}`);
    const verdict = verdictSchema.safeParse(result.body);
    if (!verdict.success) return unavailable(context, "invalid-answer", verdict.error);
    return verdict.data as WebhookVerdict;
  };

  const denied = (phase: GuardrailPhase, verdict: { reason?: string }) => {
    telemetry.decided("denied");
    return new SwitchyardError(
      "SWY_ERR_POLICY_DENIED",
      cleanReason(verdict.reason) ??
        (phase === "request"
          ? "The request was refused by the gateway's content policy."
          : "The answer was withheld by the gateway's content policy."),
    );
  };

  const checkRequest = async (context: RequestContext): Promise<undefined> => {
    const verdict = await ask("request", context);
    if (verdict === undefined || verdict.action === "allow") {
      if (verdict) telemetry.decided("allowed");
      return undefined;
    }
    if (verdict.action === "deny") throw denied("request", verdict);
    if (verdict.request === undefined)
      return unavailable(context, "invalid-answer", "modify without a request");
    let replacement: CanonicalRequest;
    try {
      replacement = replacementRequest(verdict.request, context);
    } catch (error) {
      return unavailable(context, "invalid-answer", error);
    }
    // Every attempt, retry, fallback and hedge is built from `context.request`: replacing it here, once,
    // is what makes them all send the checked request.
    context.request = replacement;
    telemetry.decided("modified");
    return undefined;
  };

  const checkResponse = async (
    response: CanonicalResponse,
    context: RequestContext,
  ): Promise<CanonicalResponse> => {
    if (context.operation === "embeddings") return response;
    const verdict = await ask("response", context, response);
    if (verdict === undefined || verdict.action === "allow") {
      if (verdict) telemetry.decided("allowed");
      return response;
    }
    if (verdict.action === "deny") throw denied("response", verdict);
    try {
      const replacement = replacementResponse(verdict.response, context);
      telemetry.decided("modified");
      return replacement;
    } catch (error) {
      unavailable(context, "invalid-answer", error);
      return response;
    }
  };

  // The buffered check reads the stream as the client gets it, which it can do for the OpenAI dialect only:
  // a stream in another dialect (Anthropic Messages, say) is refused before it starts (its error in the
  // client's own shape), or let through unchecked when failing open.
  const refuseUncheckableStream = (context: RequestContext): undefined => {
    if (!context.stream || context.dialect === "openai" || context.operation === "embeddings")
      return undefined;
    return unavailable(context, "stream-dialect", `streamed answers in the '${context.dialect}' dialect`);
  };

  async function* bufferedStream(
    body: AsyncIterable<Uint8Array>,
    context: RequestContext,
  ): AsyncGenerator<Uint8Array> {
    const held: Uint8Array[] = [];
    const reader = new SseReader();
    const assembler = new StreamAssembler();
    let size = 0;
    let passing = false;
    for await (const bytes of body) {
      if (passing) {
        yield bytes;
        continue;
      }
      held.push(bytes);
      size += bytes.byteLength;
      for (const event of reader.push(bytes)) assembler.push(event.data);
      if (size > settings.maxBufferBytes) {
        try {
          unavailable(context, "stream-too-large", `stream over maxBufferBytes (${settings.maxBufferBytes})`);
        } catch (error) {
          // Fail closed: returning stops the upstream stream too.
          yield encodeSseEvent(JSON.stringify((error as SwitchyardError).toBody()));
          return;
        }
        passing = true;
        yield* held.splice(0);
      }
    }
    if (passing) return;
    for (const event of reader.end()) assembler.push(event.data);
    // A stream that failed is not released, not even in part: its text was never checked.
    if (assembler.errorEvent !== undefined) {
      yield encodeSseEvent(assembler.errorEvent);
      return;
    }
    if (context.signal.aborted) return;
    try {
      const original = assembler.response();
      const checked = await checkResponse(original, context);
      if (checked === original) yield* held;
      else for (const event of encodeAsStream(checked, assembler.usageChunkSent)) yield event;
    } catch (error) {
      const failure = toSwitchyardError(error);
      if (failure.code === "SWY_ERR_CLIENT_CLOSED") return;
      yield encodeSseEvent(JSON.stringify(failure.toBody()));
    }
  }

  return {
    name,
    apply(gateway: Gateway) {
      telemetry.attach(gateway.logger);
      const stage = { name, stage: GuardrailStage.REQUEST };
      if (settings.on.includes("request")) {
        gateway.hooks.respond.tapPromise(stage, checkRequest);
        forwardCheckedRequestOnly(gateway, name);
      }
      if (!settings.on.includes("response")) return;
      gateway.hooks.transformResponse.tapPromise({ name, stage: GuardrailStage.RESPONSE }, checkResponse);
      if (settings.streamMode === "buffer") {
        gateway.hooks.respond.tap(stage, refuseUncheckableStream);
        gateway.hooks.finalizeResponse.tap(
          { name, stage: GuardrailStage.RESPONSE },
          (response: GatewayHttpResponse, context: RequestContext) =>
            isStream(response.body) && context.dialect === "openai" && context.operation !== "embeddings"
              ? { ...response, body: bufferedStream(response.body, context) }
              : response,
        );
      }
    },
    close: () => client.close(),
  };
}

function isStream(body: GatewayHttpResponse["body"]): body is AsyncIterable<Uint8Array> {
  return body !== null && typeof body === "object" && Symbol.asyncIterator in body;
}

function replacementRequest(proposed: Record<string, unknown>, context: RequestContext): CanonicalRequest {
  const original = context.request as unknown as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...proposed };
  for (const field of PINNED_REQUEST_FIELDS) {
    if (field in original) merged[field] = original[field];
    else delete merged[field];
  }
  return parseRequest(requestSchemas[context.operation], merged);
}

function replacementResponse(
  proposed: Record<string, unknown> | undefined,
  context: RequestContext,
): CanonicalResponse {
  if (proposed === undefined) throw new InvalidVerdict("modify without a response");
  if (context.operation === "chat") {
    const parsed = chatCompletionResponseSchema.safeParse(proposed);
    if (!parsed.success) throw new InvalidVerdict(parsed.error.message);
    return parsed.data;
  }
  const choices = proposed.choices;
  const valid =
    proposed.object === "text_completion" &&
    Array.isArray(choices) &&
    choices.every(
      (choice) =>
        typeof choice === "object" &&
        choice !== null &&
        typeof (choice as { text?: unknown }).text === "string",
    );
  if (!valid) throw new InvalidVerdict("not a text_completion with choices[].text");
  return proposed as unknown as CanonicalResponse;
}
