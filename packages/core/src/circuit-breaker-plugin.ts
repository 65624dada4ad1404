import { z } from "zod";
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  defaultCircuitBreakerOptions,
} from "./circuit-breaker.js";
import type { Gateway } from "./gateway.js";
import { parseOptions } from "./options.js";
import type { Plugin } from "./plugin.js";

const PLUGIN_NAME = "switchyard:circuit-breaker";

const optionsSchema = z
  .object({
    consecutiveFailures: z.number().int().min(1).default(defaultCircuitBreakerOptions.consecutiveFailures),
    failureRate: z.number().gt(0).max(1).default(defaultCircuitBreakerOptions.failureRate),
    windowSize: z.number().int().min(1).default(defaultCircuitBreakerOptions.windowSize),
    cooldownMs: z.number().int().positive().default(defaultCircuitBreakerOptions.cooldownMs),
    halfOpenProbes: z.number().int().min(1).default(defaultCircuitBreakerOptions.halfOpenProbes),
  })
  .strict();

/**
 * A circuit breaker per endpoint (see CircuitBreaker). Open endpoints are not offered to balancers; when
 * every endpoint of a target is open the attempt fails with `SWY_ERR_ROUTE_NO_ENDPOINT` and the route falls
 * back. State changes are emitted as `breaker:change` and shown on `/health`. `now` is for tests.
 */
export function createCircuitBreakerPlugin(
  options: Partial<CircuitBreakerOptions> = {},
  now: () => number = Date.now,
): Plugin {
  const settings = parseOptions(optionsSchema, options, "circuit breaker");
  return {
    name: PLUGIN_NAME,
    apply(gateway: Gateway) {
      gateway.endpointStats.breakerFactory = (endpoint) =>
        new CircuitBreaker(
          settings,
          (from, to) => {
            gateway.logger.warn({ endpoint: endpoint.id, from, to }, "circuit breaker changed state");
            gateway.events.emit("breaker:change", endpoint, from, to);
          },
          now,
        );
    },
  };
}
