import { type Counter, type Meter, metrics } from "@opentelemetry/api";
import {
  type Endpoint,
  type EndpointSelection,
  type Gateway,
  HookStage,
  type Plugin,
  parseOptions,
  SwitchyardError,
} from "@switchyard/core";
import { z } from "zod";

const PLUGIN_NAME = "switchyard:upstream-cap";

/** Options of {@link createUpstreamCapPlugin}. */
export interface UpstreamCapOptions {
  /**
   * Most upstream attempts in flight at once on one endpoint (streams count until they end), for every
   * provider not named in `providers`. 0 = no cap. @default 0
   */
  maxInFlightPerEndpoint?: number;
  /** Caps per provider name, overriding `maxInFlightPerEndpoint` (0 = no cap for that provider). @default {} */
  providers?: Readonly<Record<string, number>>;
  /** Retry-After sent when every endpoint of a request's last target is full. @default 1000 */
  retryAfterMs?: number;
  /** Where the refusal counter goes. @default metrics.getMeter("@switchyard/limiter") */
  meter?: Meter;
}

/** Metric names of the upstream cap. */
export const UPSTREAM_CAP_METRICS = Object.freeze({
  /** Counter: attempts refused because every endpoint of the target was at its cap, by `gen_ai.provider.name`. */
  refusals: "switchyard.upstream.saturated",
});

const optionsSchema = z
  .object({
    maxInFlightPerEndpoint: z.number().int().nonnegative().default(0),
    providers: z.record(z.string(), z.number().int().nonnegative()).default({}),
    retryAfterMs: z.number().int().positive().default(1_000),
    meter: z
      .custom<Meter>((value) => typeof (value as Meter | undefined)?.createCounter === "function")
      .optional(),
  })
  .strict();

/**
 * Caps in-flight attempts per upstream endpoint, so one slow provider cannot take every slot of the
 * gateway's `overload.maxInFlight`, and a self-hosted model server is never sent more than it can run.
 *
 * It taps `selectEndpoint` before the balancers (stage `EARLY`): while every endpoint of the target is
 * under its cap it answers nothing and the configured strategy picks as usual; when some are full, it
 * picks the least busy of the others (not one that already failed for this request, when it can); when
 * all are full, the attempt fails with 503 `SWY_ERR_GATEWAY_OVERLOADED` and `Retry-After`, which moves
 * the request to the route's next target (a fallback) or answers the client. Nothing waits: a queue in
 * front of one upstream would hold gateway slots hostage to it.
 *
 * The counts are this process's (`gateway.endpointStats`): with N workers or replicas an endpoint sees
 * up to N times the cap.
 */
export function createUpstreamCapPlugin(options: UpstreamCapOptions): Plugin {
  const settings = parseOptions(optionsSchema, options, "upstream cap");
  const capOf = (provider: string) => settings.providers[provider] ?? settings.maxInFlightPerEndpoint;
  const meter = settings.meter ?? metrics.getMeter("@switchyard/limiter");
  const refusals: Counter = meter.createCounter(UPSTREAM_CAP_METRICS.refusals, {
    description: "Upstream attempts refused: every endpoint of the target was at its in-flight cap.",
  });
  return {
    name: PLUGIN_NAME,
    apply(gateway: Gateway) {
      const stats = gateway.endpointStats;
      gateway.hooks.selectEndpoint.tap(
        { name: PLUGIN_NAME, stage: HookStage.EARLY },
        (selection: EndpointSelection): Endpoint | undefined => {
          const provider = selection.target.provider.name;
          const cap = capOf(provider);
          if (cap === 0) return undefined;
          let best: Endpoint | undefined;
          let bestInFlight = Number.POSITIVE_INFINITY;
          let bestFailed = true;
          let full = 0;
          for (const endpoint of selection.endpoints) {
            const inFlight = stats.get(endpoint).inFlight;
            if (inFlight >= cap) {
              full++;
              continue;
            }
            const failed = selection.failed.has(endpoint);
            // Prefer endpoints that have not failed for this request, then the least busy.
            if ((bestFailed && !failed) || (failed === bestFailed && inFlight < bestInFlight)) {
              best = endpoint;
              bestInFlight = inFlight;
              bestFailed = failed;
            }
          }
          if (full === 0) return undefined;
          if (best !== undefined) return best;
          refusals.add(1, { "gen_ai.provider.name": provider });
          throw new SwitchyardError(
            "SWY_ERR_GATEWAY_OVERLOADED",
            `The gateway is overloaded: every endpoint of provider '${provider}' has ${cap} requests in flight, its cap.`,
            { retryAfterMs: settings.retryAfterMs },
          );
        },
      );
    },
  };
}
