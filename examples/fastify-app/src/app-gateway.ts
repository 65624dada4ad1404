import { createGateway, type Gateway, type Logger, type Plugin } from "@switchyard/core";
import { createMockProvider, type MockProviderOptions } from "@switchyard/provider-mock";

/**
 * The header the app's `onRequest` hook sets, after removing any copy the client sent, to tell the gateway
 * who the caller is. The gateway never sends client headers upstream.
 */
export const APP_USER_HEADER = "x-app-user";

/** Turns the app's verdict into the gateway's principal. */
function appUserPlugin(): Plugin {
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
    },
  };
}

/**
 * The gateway the app registers: the embedded mock provider and `requireAuth`, logging through the app's
 * logger (Fastify's pino logger has the `(object, message)` methods the gateway calls).
 */
export function createAppGateway(options: { logger?: Logger; mock?: MockProviderOptions } = {}): Gateway {
  return createGateway({
    providers: [createMockProvider(options.mock)],
    requireAuth: true,
    plugins: [appUserPlugin()],
    logger: options.logger,
  });
}
