import {
  type CanonicalRequest,
  type ChatCompletionRequest,
  type Gateway,
  HookStage,
  type Plugin,
  type RequestContext,
} from "@switchyard/core";
import { ANONYMOUS, type UsageLedger } from "./usage-ledger.js";

const PLUGIN_NAME = "example:house-rules";

/** Options of {@link createHouseRulesPlugin}. */
export interface HouseRulesOptions {
  /**
   * Put first in every chat request that brings no `system` or `developer` message of its own.
   * @default undefined (no prompt is added)
   */
  readonly systemPrompt?: string;
  /**
   * The most tokens a request may generate: larger `max_tokens` / `max_completion_tokens` are lowered to
   * it, and requests that set neither get it as `max_tokens`.
   * @default undefined (no cap)
   */
  readonly maxTokens?: number;
  /** Where each finished request's usage and cost are recorded, per principal. */
  readonly ledger: UsageLedger;
}

/**
 * House rules for a gateway, in one small plugin with two taps: a `transformRequest` tap (a Waterfall hook:
 * it returns the changed request) that adds a default system prompt and caps the reply length, and a
 * `requestCompleted` tap (a Parallel hook: a notification) that records usage and cost per principal.
 */
export function createHouseRulesPlugin(options: HouseRulesOptions): Plugin {
  const settings = checkOptions(options);
  return {
    name: PLUGIN_NAME,
    apply(gateway: Gateway) {
      // LATE: the cap applies to what every other transform produced, so no plugin can lift it.
      gateway.hooks.transformRequest.tapPromise(
        { name: PLUGIN_NAME, stage: HookStage.LATE },
        async (request: CanonicalRequest, _context: RequestContext) => applyRules(request, settings),
      );
      // `context.usage` and `context.cost` are final here, for streams too (the gateway asks the
      // provider for stream usage even when the client did not).
      gateway.hooks.requestCompleted.tap(PLUGIN_NAME, (context: RequestContext) => {
        if (context.usage === undefined) return;
        settings.ledger.record(
          context.principal?.id ?? ANONYMOUS,
          context.model,
          context.usage,
          context.cost,
        );
      });
    },
  };
}

function applyRules(request: CanonicalRequest, settings: HouseRulesOptions): CanonicalRequest {
  if (!isChatRequest(request)) return request;
  // Per attempt, the request is a fresh shallow copy: replace fields, never mutate nested objects.
  let changed: ChatCompletionRequest = request;
  const { systemPrompt, maxTokens } = settings;
  const hasSystem = request.messages.some(
    (message) => message.role === "system" || message.role === "developer",
  );
  if (systemPrompt !== undefined && !hasSystem) {
    changed = { ...changed, messages: [{ role: "system", content: systemPrompt }, ...changed.messages] };
  }
  if (maxTokens !== undefined) {
    if (typeof changed.max_completion_tokens === "number") {
      changed = { ...changed, max_completion_tokens: Math.min(changed.max_completion_tokens, maxTokens) };
    } else {
      changed = { ...changed, max_tokens: Math.min(changed.max_tokens ?? maxTokens, maxTokens) };
    }
  }
  return changed;
}

// Legacy completions aimed at a chat model arrive here already turned into chat, so this catches them too.
// (An `in` check does not narrow: the canonical types are loose objects with index signatures.)
function isChatRequest(request: CanonicalRequest): request is ChatCompletionRequest {
  return Array.isArray((request as { messages?: unknown }).messages);
}

// Checked once, when the plugin is created, so a bad option fails at start-up and not on a request.
function checkOptions(options: HouseRulesOptions): Readonly<HouseRulesOptions> {
  const { systemPrompt, maxTokens, ledger } = options ?? {};
  if (systemPrompt !== undefined && (typeof systemPrompt !== "string" || systemPrompt.trim() === "")) {
    throw new TypeError(`${PLUGIN_NAME}: systemPrompt must be a non-empty string.`);
  }
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 1)) {
    throw new RangeError(`${PLUGIN_NAME}: maxTokens must be a positive integer, got ${maxTokens}.`);
  }
  if (typeof ledger?.record !== "function") {
    throw new TypeError(`${PLUGIN_NAME}: ledger must be a UsageLedger.`);
  }
  return Object.freeze({ systemPrompt, maxTokens, ledger });
}
