/**
 * The paths core's `gateway.handle()` routes (see core's pipeline). Adapters that register routes with
 * their framework (Fastify) declare these; anything else below the mount point still reaches the gateway
 * through the adapter's not-found handler, so a path added to core later is served before it is listed.
 */
export const GATEWAY_PATHS: readonly string[] = Object.freeze([
  "/v1/chat/completions",
  "/chat/completions",
  "/v1/completions",
  "/completions",
  "/v1/embeddings",
  "/embeddings",
  "/v1/models",
  "/models",
  "/health",
]);
