import { z } from "zod";
import type { RequestContext } from "./context.js";
import type { EndpointStatsRegistry } from "./endpoint-stats.js";
import type { Gateway } from "./gateway.js";
import { type EndpointSelection, HookStage } from "./gateway-hooks.js";
import { parseOptions } from "./options.js";
import type { Plugin } from "./plugin.js";
import type { Endpoint } from "./provider.js";

const PLUGIN_NAME = "switchyard:load-balancer";

/** How endpoints of one provider share its traffic. */
export type BalancingStrategy = "round-robin" | "weighted" | "least-in-flight" | "latency";

/** Options of the load-balancer plugin. */
export interface LoadBalancerOptions {
  /**
   * `round-robin`; `weighted` (smooth weighted round-robin by endpoint `weight`); `least-in-flight`;
   * `latency` (power of two random choices scored by latency EWMA x (in flight + 1)).
   * @default "round-robin"
   */
  strategy?: BalancingStrategy;
  /** Only balance these providers (by name); others keep the default. @default all */
  providers?: string[];
}

const optionsSchema = z
  .object({
    strategy: z.enum(["round-robin", "weighted", "least-in-flight", "latency"]).default("round-robin"),
    providers: z.array(z.string()).optional(),
  })
  .strict();

/**
 * Picks the endpoint for each attempt. Always health-aware: the pipeline only offers endpoints whose
 * breaker admits traffic, and endpoints that already failed for this request are avoided while others remain.
 */
export function createLoadBalancerPlugin(options: LoadBalancerOptions = {}): Plugin {
  const settings = parseOptions(optionsSchema, options, "load balancer");
  const only = settings.providers ? new Set(settings.providers) : undefined;
  return {
    name: PLUGIN_NAME,
    apply(gateway: Gateway) {
      const pick = strategies[settings.strategy](gateway.endpointStats);
      gateway.hooks.selectEndpoint.tap(
        { name: PLUGIN_NAME, stage: HookStage.BUILTIN },
        (selection: EndpointSelection, _context: RequestContext) => {
          if (only && !only.has(selection.target.provider.name)) return undefined;
          const fresh = selection.endpoints.filter((endpoint) => !selection.failed.has(endpoint));
          const candidates = fresh.length > 0 ? fresh : selection.endpoints;
          if (candidates.length === 1) return candidates[0];
          return pick(candidates, selection);
        },
      );
    },
  };
}

type Picker = (candidates: readonly Endpoint[], selection: EndpointSelection) => Endpoint;

const strategies: Record<BalancingStrategy, (stats: EndpointStatsRegistry) => Picker> = {
  "round-robin": () => {
    const next = new WeakMap<EndpointSelection["target"]["provider"], number>();
    return (candidates, selection) => {
      const provider = selection.target.provider;
      const index = next.get(provider) ?? 0;
      next.set(provider, index + 1);
      return candidates[index % candidates.length] as Endpoint;
    };
  },
  // Smooth weighted round-robin (as nginx does): spreads heavy endpoints out instead of in bursts.
  weighted: () => {
    const current = new WeakMap<Endpoint, number>();
    return (candidates) => {
      let total = 0;
      let best: Endpoint | undefined;
      let bestWeight = Number.NEGATIVE_INFINITY;
      for (const endpoint of candidates) {
        const weight = (current.get(endpoint) ?? 0) + endpoint.weight;
        current.set(endpoint, weight);
        total += endpoint.weight;
        if (weight > bestWeight) {
          bestWeight = weight;
          best = endpoint;
        }
      }
      const chosen = best as Endpoint;
      current.set(chosen, bestWeight - total);
      return chosen;
    };
  },
  "least-in-flight": (stats) => (candidates) => {
    let best = candidates[0] as Endpoint;
    let fewest = stats.get(best).inFlight;
    for (const endpoint of candidates) {
      const inFlight = stats.get(endpoint).inFlight;
      if (inFlight < fewest) {
        fewest = inFlight;
        best = endpoint;
      }
    }
    return best;
  },
  // Power of two choices: cheap, and avoids the herd that "always the fastest" creates.
  latency: (stats) => (candidates) => {
    const first = candidates[Math.floor(Math.random() * candidates.length)] as Endpoint;
    let second = candidates[Math.floor(Math.random() * (candidates.length - 1))] as Endpoint;
    if (second === first) second = candidates[candidates.length - 1] as Endpoint;
    const score = (endpoint: Endpoint) => {
      const endpointStats = stats.get(endpoint);
      // Unmeasured endpoints score 0 so they get sampled.
      return (endpointStats.ewmaMs ?? 0) * (endpointStats.inFlight + 1);
    };
    return score(second) < score(first) ? second : first;
  },
};
