import type { RequestContext } from "../context.js";

/**
 * What the provider said about its answer: the model that answered and why each choice stopped. These are
 * the RequestContext fields proposed for the pipeline to fill (`responseModel`, `finishReasons`: from the
 * parsed response, or from the stream's chunks). Until they exist they read as undefined and the
 * `gen_ai.response.model` / `gen_ai.response.finish_reasons` attributes are left out: reading them from
 * `transformResponse`/`transformStreamChunk` taps would turn off the pass-through fast paths.
 */
interface ResponseFacts {
  readonly responseModel?: unknown;
  readonly finishReasons?: unknown;
}

/** The model that answered, when the pipeline recorded it. */
export function responseModelOf(context: RequestContext): string | undefined {
  const model = (context as ResponseFacts).responseModel;
  return typeof model === "string" && model !== "" ? model.slice(0, 256) : undefined;
}

/** Why each choice stopped, when the pipeline recorded it. */
export function finishReasonsOf(context: RequestContext): string[] | undefined {
  const reasons = (context as ResponseFacts).finishReasons;
  if (!Array.isArray(reasons) || reasons.length === 0) return undefined;
  return reasons.filter((reason): reason is string => typeof reason === "string");
}
