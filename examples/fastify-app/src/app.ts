import { fastifySwitchyard } from "@switchyard/http/fastify";
import { handleClientError } from "@switchyard/http/node";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { APP_USER_HEADER, createAppGateway } from "./app-gateway.js";
import type { AppUser, AppUsers } from "./app-users.js";

declare module "fastify" {
  interface FastifyRequest {
    user?: AppUser;
  }
}

/** What the app is built from. */
export interface AppOptions {
  readonly users: AppUsers;
  /** Fastify's logger setting. @default true (JSON lines on stdout) */
  readonly logger?: FastifyServerOptions["logger"];
}

/**
 * An existing Fastify app — its own routes, its own sign-in — that registers the gateway under `/llm`.
 * Clients call `/llm/v1/...` with the app's session token as the bearer token, so the OpenAI SDKs work as
 * they are. The gateway starts when the app is ready and drains when it closes.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? true,
    // Oversized or malformed requests are refused by Node before Fastify runs: OpenAI shape for them too.
    clientErrorHandler: handleClientError,
    // While draining, let requests reach the gateway, which answers 503 in the OpenAI shape.
    return503OnClosing: false,
  });
  const gateway = createAppGateway({ logger: app.log });

  app.decorateRequest("user", undefined);
  app.get("/", async () => ({ app: "fastify-app", llm: "/llm/v1" }));

  // The LLM routes live in their own encapsulated context: the app's sign-in hook, then the gateway.
  await app.register(
    async (llm) => {
      llm.addHook("onRequest", async (request) => {
        const token = request.headers.authorization?.replace(/^Bearer\s+/i, "");
        const user = token === undefined ? undefined : options.users.get(token);
        // Whatever the client sent under the app's header is dropped: only this hook speaks for the app.
        delete request.headers[APP_USER_HEADER];
        if (!user) throw Object.assign(new Error("Sign in to the app first."), { statusCode: 401 });
        request.user = user;
        request.headers[APP_USER_HEADER] = `${user.id}/${user.team}`;
      });
      await llm.register(fastifySwitchyard, { gateway, graceMs: 10_000 });
    },
    { prefix: "/llm" },
  );
  return app;
}
