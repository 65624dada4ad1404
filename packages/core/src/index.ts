export { Admission, type OverloadOptions } from "./admission.js";
export {
  type ApiKeyAuthOptions,
  type ApiKeyEntry,
  createApiKeyAuthPlugin,
  hashApiKey,
  presentedKey,
} from "./api-key-auth-plugin.js";
export * from "./canonical-schemas.js";
export type { CanonicalResponse, CompletionResponse, EmbeddingResponse } from "./canonical-types.js";
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
  defaultCircuitBreakerOptions,
} from "./circuit-breaker.js";
export { createCircuitBreakerPlugin } from "./circuit-breaker-plugin.js";
export {
  chatToCompletionChunk,
  chatToCompletionResponse,
  completionToChatRequest,
} from "./completions-bridge.js";
export type {
  AttemptRecord,
  HedgePolicy,
  Principal,
  RequestContext,
  RequestTimings,
  RoutePlan,
  RouteTarget,
} from "./context.js";
export { EndpointStats, EndpointStatsRegistry } from "./endpoint-stats.js";
export { type ErrorCode, type ErrorCodeInfo, errorCodes } from "./error-codes.js";
export {
  type OpenAIErrorBody,
  SwitchyardError,
  type SwitchyardErrorOptions,
  toSwitchyardError,
} from "./errors.js";
export { type FailureClass, failureClassOf } from "./failure-class.js";
export { createGateway, Gateway, type GatewayOptions, type GatewayState } from "./gateway.js";
export type { GatewayEvents, LimitDecision } from "./gateway-events.js";
export {
  createGatewayHooks,
  type EndpointSelection,
  type GatewayHooks,
  HookStage,
  type RateLimitRejection,
  type RetryDecision,
  type RetryQuestion,
} from "./gateway-hooks.js";
export type { GatewayHttpRequest, GatewayHttpResponse } from "./http-types.js";
export type {
  DialectPassthrough,
  DialectRouteHandler,
  InboundDialect,
  StreamEncoder,
} from "./inbound-dialect.js";
export {
  type BalancingStrategy,
  createLoadBalancerPlugin,
  type LoadBalancerOptions,
} from "./load-balancer-plugin.js";
export { createJsonLogger, type Logger, type LogLevel, silentLogger } from "./logger.js";
export { parseOptions } from "./options.js";
export { defaultShouldFallback, priceOf } from "./pipeline.js";
export type { Plugin } from "./plugin.js";
export type {
  Endpoint,
  ModelInfo,
  ModelPrice,
  Operation,
  Provider,
  ProviderCall,
  ProviderHttp,
  ProviderSendOptions,
  StreamTranslator,
  UpstreamAnswer,
  UpstreamErrorResponse,
  UpstreamRequest,
} from "./provider.js";
export { parseRequest } from "./request-validation.js";
export { createRetryPlugin, type RetryOptions } from "./retry-plugin.js";
export { createRouterPlugin } from "./router-plugin.js";
export {
  createRoutesPlugin,
  defaultFallbackOn,
  type RouteOptions,
  type RoutesOptions,
  type RouteTargetOptions,
} from "./routes-plugin.js";
export { type SseEvent, SseReader } from "./sse-reader.js";
export { encodeSseEvent, formatSseEvent, SSE_DONE, SSE_HEADERS } from "./sse-writer.js";
export { INSTRUMENTATION_SCOPE } from "./telemetry/otel-handles.js";
export { redactSecrets } from "./telemetry/redact.js";
export {
  createRequestLogPlugin,
  type RequestLogLine,
  type RequestLogOptions,
  requestLogLine,
} from "./telemetry/request-log-plugin.js";
export * from "./telemetry/semantic-conventions.js";
export { createTelemetryPlugin, type TelemetryOptions } from "./telemetry/telemetry-plugin.js";
export {
  defaultTimeouts,
  mapTransportError,
  type TimeoutOptions,
  Transport,
  type TransportOptions,
} from "./transport.js";
export { parseRetryAfter, upstreamStatusError } from "./upstream-errors.js";
