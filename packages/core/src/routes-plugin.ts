import { z } from "zod";
import type { HedgePolicy, RequestContext, RoutePlan, RouteTarget } from "./context.js";
import { SwitchyardError } from "./errors.js";
import { type FailureClass, failureClassOf } from "./failure-class.js";
import type { Gateway } from "./gateway.js";
import { HookStage } from "./gateway-hooks.js";
import { parseOptions } from "./options.js";
import type { Plugin } from "./plugin.js";

const PLUGIN_NAME = "switchyard:routes";

const failureClasses = [
  "rate_limit",
  "overloaded",
  "server_error",
  "timeout",
  "connection",
  "content_filter",
  "auth",
  "bad_request",
] as const satisfies readonly FailureClass[];

/** Failure classes that fall back when a route does not say. */
export const defaultFallbackOn: readonly FailureClass[] = Object.freeze([
  "rate_limit",
  "overloaded",
  "server_error",
  "timeout",
  "connection",
  "content_filter",
]);

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const routeSchema = z
  .object({
    model: z.string().min(1),
    targets: z
      .array(
        z
          .object({
            provider: z.string().min(1),
            model: z.string().min(1),
            params: z.record(z.string(), z.unknown()).optional(),
          })
          .strict(),
      )
      .min(1),
    fallbackOn: z.array(z.enum(failureClasses)).optional(),
    when: z
      .object({
        principal: z.union([z.string(), z.array(z.string())]).optional(),
        team: z.union([z.string(), z.array(z.string())]).optional(),
        metadata: z.record(z.string(), scalar).optional(),
        request: z.record(z.string(), scalar).optional(),
      })
      .strict()
      .optional(),
    hedge: z
      .object({ delayMs: z.number().int().positive(), percentile: z.number().min(50).max(99.9).optional() })
      .strict()
      .optional(),
    order: z.enum(["listed", "cheapest"]).default("listed"),
  })
  .strict();

const optionsSchema = z.object({ routes: z.array(routeSchema) }).strict();

/** One target of a route. */
export interface RouteTargetOptions {
  /** The provider's name in the gateway. */
  provider: string;
  /** The model id that provider receives. */
  model: string;
  /** Request fields merged over the client's for this target. */
  params?: Record<string, unknown>;
}

/** One route: a model name clients use, and where it goes. */
export interface RouteOptions {
  /** The model name clients send (an alias, or a real id to override its routing). */
  model: string;
  /** Tried in order: the first, then each fallback. */
  targets: RouteTargetOptions[];
  /** Which failures move on to the next target. @default rate_limit, overloaded, server_error, timeout, connection, content_filter */
  fallbackOn?: FailureClass[];
  /**
   * Only for matching requests; several routes for one model are tried in order and the first match
   * wins. Strings match the principal id or team (any of a list); `metadata` and `request` compare
   * principal metadata and top-level request fields for equality.
   */
  when?: {
    principal?: string | string[];
    team?: string | string[];
    metadata?: Record<string, string | number | boolean>;
    request?: Record<string, string | number | boolean>;
  };
  /** Hedge the first attempt: after `delayMs` (or the endpoint's latency percentile), race a second one. */
  hedge?: HedgePolicy;
  /** `cheapest` orders targets by their model's price (input + output per million). @default "listed" */
  order?: "listed" | "cheapest";
}

/** Options of the routes plugin. */
export interface RoutesOptions {
  routes: RouteOptions[];
}

interface CompiledRoute {
  readonly options: z.infer<typeof routeSchema>;
  readonly plan: RoutePlan;
}

/**
 * Model aliases and routes: a model name maps to ordered targets (provider + model + params) with
 * per-route fallback rules, conditions on the principal or request, hedging and cost ordering. Providers
 * must be registered before this plugin is applied (`createGateway` registers them first).
 */
export function createRoutesPlugin(options: RoutesOptions): Plugin {
  const settings = parseOptions(optionsSchema, options, "routes");
  return {
    name: PLUGIN_NAME,
    apply(gateway: Gateway) {
      const byModel = new Map<string, CompiledRoute[]>();
      settings.routes.forEach((route, index) => {
        const compiled = compile(gateway, route, index);
        const list = byModel.get(route.model) ?? [];
        list.push(compiled);
        byModel.set(route.model, list);
        gateway.advertiseModel(route.model, "switchyard");
      });
      gateway.hooks.resolveRoute.tap(
        // Before the built-in router, so a route may also override how a real model id is served.
        { name: PLUGIN_NAME, stage: HookStage.BUILTIN - 10 },
        (plan: RoutePlan, context: RequestContext) => {
          if (plan.targets.length > 0) return plan;
          const candidates = byModel.get(context.model);
          if (!candidates) return plan;
          for (const route of candidates) if (matches(route.options.when, context)) return route.plan;
          return plan;
        },
      );
    },
  };
}

function compile(gateway: Gateway, route: z.infer<typeof routeSchema>, index: number): CompiledRoute {
  let targets: RouteTarget[] = route.targets.map((target, targetIndex) => {
    const provider = gateway.providers.get(target.provider);
    if (!provider) {
      throw new SwitchyardError(
        "SWY_ERR_CONFIG_INVALID",
        `routes[${index}].targets[${targetIndex}].provider: no provider named '${target.provider}'.`,
      );
    }
    return { provider, model: target.model, ...(target.params ? { params: target.params } : {}) };
  });
  if (route.order === "cheapest") {
    const cost = (target: RouteTarget) => {
      const price = target.provider.models().find((model) => model.id === target.model)?.price;
      return price ? price.inputPerMillion + price.outputPerMillion : Number.POSITIVE_INFINITY;
    };
    targets = [...targets].sort((a, b) => cost(a) - cost(b));
  }
  const fallbackOn = new Set<FailureClass>(route.fallbackOn ?? defaultFallbackOn);
  const plan: RoutePlan = Object.freeze({
    targets: Object.freeze(targets),
    ...(route.hedge ? { hedge: route.hedge } : {}),
    shouldFallback: (error: SwitchyardError) => {
      const failureClass = failureClassOf(error);
      return failureClass !== undefined && fallbackOn.has(failureClass);
    },
  });
  return { options: route, plan };
}

function matches(when: z.infer<typeof routeSchema>["when"], context: RequestContext): boolean {
  if (!when) return true;
  const principal = context.principal;
  const oneOf = (value: string | undefined, wanted: string | string[]) =>
    value !== undefined && (Array.isArray(wanted) ? wanted.includes(value) : wanted === value);
  if (when.principal !== undefined && !oneOf(principal?.id, when.principal)) return false;
  if (when.team !== undefined && !oneOf(principal?.team, when.team)) return false;
  if (when.metadata) {
    for (const [key, value] of Object.entries(when.metadata))
      if (principal?.metadata?.[key] !== value) return false;
  }
  if (when.request) {
    const request = context.request as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(when.request)) if (request[key] !== value) return false;
  }
  return true;
}
