/**
 * OpenTelemetry names Switchyard emits, kept as local constants (no dependency on
 * `@opentelemetry/semantic-conventions`, whose GenAI names are still "development" and move between
 * releases). GenAI names follow the OpenTelemetry GenAI semantic conventions; `switchyard.*` names are the
 * gateway's own. Documented in docs/guides/observability.md.
 */

// --- GenAI attributes -----------------------------------------------------------------------------

/** The operation: `chat`, `text_completion`, `embeddings`. */
export const ATTR_GEN_AI_OPERATION_NAME = "gen_ai.operation.name";
/** The provider, as the gateway names it (`openai`, `anthropic`, or the configured provider name). */
export const ATTR_GEN_AI_PROVIDER_NAME = "gen_ai.provider.name";
/** The model a request asks for. */
export const ATTR_GEN_AI_REQUEST_MODEL = "gen_ai.request.model";
/** The model that answered, as the provider reported it. */
export const ATTR_GEN_AI_RESPONSE_MODEL = "gen_ai.response.model";
/** Why each choice stopped, e.g. `["stop"]`. */
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons";
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens";
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature";
export const ATTR_GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p";
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens";
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
/** `input` or `output`, on `gen_ai.client.token.usage`. */
export const ATTR_GEN_AI_TOKEN_TYPE = "gen_ai.token.type";

// --- General attributes ---------------------------------------------------------------------------

/** A low-cardinality class of error: Switchyard puts the error code here (`SWY_ERR_UPSTREAM_SERVER`). */
export const ATTR_ERROR_TYPE = "error.type";
export const ATTR_SERVER_ADDRESS = "server.address";
export const ATTR_SERVER_PORT = "server.port";
export const ATTR_HTTP_RESPONSE_STATUS_CODE = "http.response.status_code";

// --- Switchyard attributes ------------------------------------------------------------------------

export const ATTR_SWITCHYARD_REQUEST_ID = "switchyard.request.id";
/** The authenticated principal's id (a key id): never a secret. */
export const ATTR_SWITCHYARD_PRINCIPAL_ID = "switchyard.principal.id";
export const ATTR_SWITCHYARD_ENDPOINT_ID = "switchyard.endpoint.id";
/** 1-based position of an attempt in its request. */
export const ATTR_SWITCHYARD_ATTEMPT = "switchyard.attempt";
/** Upstream attempts a request made. */
export const ATTR_SWITCHYARD_ATTEMPTS = "switchyard.attempts";
/** Set on an attempt that succeeded but was not used (a hedge that lost). */
export const ATTR_SWITCHYARD_ATTEMPT_DISCARDED = "switchyard.attempt.discarded";
export const ATTR_SWITCHYARD_STREAM = "switchyard.stream";
/** USD cost of the request's usage, when the model has a price. */
export const ATTR_SWITCHYARD_COST_USD = "switchyard.cost.usd";
export const ATTR_SWITCHYARD_LIMIT_NAME = "switchyard.limit.name";
/** `allowed` or `denied`. */
export const ATTR_SWITCHYARD_LIMIT_OUTCOME = "switchyard.limit.outcome";
/** `closed`, `half-open` or `open`. */
export const ATTR_SWITCHYARD_BREAKER_STATE = "switchyard.breaker.state";

// --- GenAI metrics --------------------------------------------------------------------------------

/** Histogram, `{token}`: tokens per request, by `gen_ai.token.type`. */
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = "gen_ai.client.token.usage";
/** Histogram, `s`: one upstream attempt, from its start until its answer (or stream) ended. */
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = "gen_ai.client.operation.duration";
/** Histogram, `s`: one request as the gateway's client saw it, until the last byte. */
export const METRIC_GEN_AI_SERVER_REQUEST_DURATION = "gen_ai.server.request.duration";
/** Histogram, `s`: streamed requests, from arrival until the first event went to the client. */
export const METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN = "gen_ai.server.time_to_first_token";

// --- Switchyard metrics ---------------------------------------------------------------------------

/** Counter, `{request}`: finished requests. */
export const METRIC_SWITCHYARD_REQUESTS = "switchyard.requests";
/** UpDownCounter, `{request}`: requests (and streams) in flight. */
export const METRIC_SWITCHYARD_REQUESTS_ACTIVE = "switchyard.requests.active";
/** Counter, `{retry}`: failed attempts followed by another attempt on the same target. */
export const METRIC_SWITCHYARD_RETRIES = "switchyard.retries";
/** Counter, `{fallback}`: failed attempts followed by the route's next target. */
export const METRIC_SWITCHYARD_FALLBACKS = "switchyard.fallbacks";
/** Counter, `{hedge}`: hedged second attempts started. */
export const METRIC_SWITCHYARD_HEDGES = "switchyard.hedges";
/** Counter, `{USD}`: cost of usage, for models with a price. */
export const METRIC_SWITCHYARD_COST = "switchyard.cost";
/** Counter, `{decision}`: rate-limit decisions, by `switchyard.limit.outcome`. */
export const METRIC_SWITCHYARD_RATE_LIMIT_DECISIONS = "switchyard.rate_limit.decisions";
/** Gauge, `1`: circuit breaker state per endpoint: 0 closed, 1 half-open, 2 open. */
export const METRIC_SWITCHYARD_BREAKER_STATE = "switchyard.breaker.state";
/** Counter, `{transition}`: breaker state changes, by the new state. */
export const METRIC_SWITCHYARD_BREAKER_TRANSITIONS = "switchyard.breaker.transitions";

// --- Bucket boundaries (the GenAI conventions' advice) ---------------------------------------------

export const TOKEN_BUCKETS: readonly number[] = Object.freeze([
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
]);
export const DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
]);
export const TIME_TO_FIRST_TOKEN_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

/** The GenAI operation name of a gateway operation. */
export const GEN_AI_OPERATION_NAMES = Object.freeze({
  chat: "chat",
  completions: "text_completion",
  embeddings: "embeddings",
} as const);
