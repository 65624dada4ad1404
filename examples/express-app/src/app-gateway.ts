import { createGateway, type Gateway, type Logger, type Plugin } from "@switchyard/core";
import { createMockProvider, type MockProviderOptions } from "@switchyard/provider-mock";

/**
 * The header the app's authentication middleware sets, after removing any copy the client sent, to tell
 * the gateway who the caller is. The gateway never sends client headers upstream.
 */
export const APP_USER_HEADER = "x-app-user";

/** Tokens each user spent through the gateway, for the app's `/me/usage` page. */
export type UsageBook = Map<string, { requests: number; totalTokens: number }>;

/** Turns the app's verdict into the gateway's principal, and books usage per user. */
function appUserPlugin(usage: UsageBook): Plugin {
  const name = "example-app-user";
  return {
    name,
    apply(gateway) {
      gateway.hooks.authenticate.tap(name, (context) => {
        const header = context.headers[APP_USER_HEADER];
        if (!header) return undefined;
        const [id = "", team] = header.split("/");
        return { id, team };
      });
      gateway.hooks.requestCompleted.tap(name, (context) => {
        const id = context.principal?.id;
        if (!id) return;
        const entry = usage.get(id) ?? { requests: 0, totalTokens: 0 };
        entry.requests += 1;
        entry.totalTokens += context.usage?.total_tokens ?? 0;
        usage.set(id, entry);
      });
    },
  };
}

/**
 * The gateway the app mounts: the embedded mock provider (a fake model behind the OpenAI wire format), and
 * `requireAuth`, so a request the app's middleware did not vouch for is refused even if it got through.
 */
export function createAppGateway(options: { logger?: Logger; mock?: MockProviderOptions } = {}): {
  gateway: Gateway;
  usage: UsageBook;
} {
  const usage: UsageBook = new Map();
  const gateway = createGateway({
    providers: [createMockProvider(options.mock)],
    requireAuth: true,
    plugins: [appUserPlugin(usage)],
    logger: options.logger,
  });
  return { gateway, usage };
}
