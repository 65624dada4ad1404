import type { RequestContext, RoutePlan, RouteTarget } from "./context.js";
import { SwitchyardError } from "./errors.js";
import type { Gateway } from "./gateway.js";
import { HookStage } from "./gateway-hooks.js";
import type { Plugin } from "./plugin.js";

const PLUGIN_NAME = "switchyard:router";

/**
 * The built-in router: when no earlier tap has planned a route, sends the model to the provider that lists
 * it, or to provider `name` for a model written `name/model`. Always installed; alias and fallback plugins
 * tap `resolveRoute` too and leave a plan this one does not touch.
 */
export function createRouterPlugin(): Plugin {
  return {
    name: PLUGIN_NAME,
    apply(gateway: Gateway) {
      gateway.hooks.resolveRoute.tap(
        { name: PLUGIN_NAME, stage: HookStage.BUILTIN },
        (plan: RoutePlan, context: RequestContext) => {
          if (plan.targets.length > 0) return plan;
          const target = resolveModel(gateway, context);
          return target ? { targets: [target] } : plan;
        },
      );
    },
  };
}

function resolveModel(gateway: Gateway, context: RequestContext): RouteTarget | undefined {
  const model = context.model;
  const listed = gateway.findModel(model);
  let target: RouteTarget | undefined;
  if (listed) target = { provider: listed.provider, model };
  else {
    const slash = model.indexOf("/");
    if (slash > 0) {
      const provider = gateway.providers.get(model.slice(0, slash));
      const providerModel = model.slice(slash + 1);
      if (provider && (provider.acceptsUnlistedModels || gateway.modelInfo(provider, providerModel))) {
        target = { provider, model: providerModel };
      }
    }
  }
  if (!target) return undefined;
  const operations = gateway.modelInfo(target.provider, target.model)?.operations;
  // Completions can always be served through chat; embeddings need a model that declares them.
  const needed = context.operation === "completions" ? "chat" : context.operation;
  if (operations && !operations.includes(needed) && !operations.includes(context.operation)) {
    throw new SwitchyardError(
      "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED",
      `The model '${model}' does not support ${context.operation}.`,
      { param: "model" },
    );
  }
  return target;
}
