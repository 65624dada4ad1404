import type { Gateway } from "@switchyard/core";
import { createExpressMiddleware } from "@switchyard/http/express";
import express, { type Express, type RequestHandler } from "express";
import { APP_USER_HEADER, type UsageBook } from "./app-gateway.js";
import type { AppUser, AppUsers } from "./app-users.js";

/** What the app is built from. */
export interface AppOptions {
  readonly gateway: Gateway;
  readonly usage: UsageBook;
  readonly users: AppUsers;
}

/**
 * An existing Express app — its own JSON API, its own body parser, its own sign-in — that mounts the
 * gateway under `/llm`. Clients call `/llm/v1/...` with the app's session token as the bearer token, so the
 * OpenAI SDKs work as they are: `new OpenAI({ baseURL: "http://host/llm/v1", apiKey: sessionToken })`.
 */
export function createApp(options: AppOptions): Express {
  const app = express();
  // The app's body parser runs for every route, the gateway's included: the adapter uses what it parsed.
  app.use(express.json({ limit: "10mb" }));

  const signedIn: RequestHandler = (request, response, next) => {
    const token = request.headers.authorization?.replace(/^Bearer\s+/i, "");
    const user = token === undefined ? undefined : options.users.get(token);
    // Whatever the client sent under the app's header is dropped: only this middleware speaks for the app.
    delete request.headers[APP_USER_HEADER];
    if (!user) {
      next(Object.assign(new Error("Sign in to the app first."), { status: 401, expose: true }));
      return;
    }
    response.locals.user = user;
    request.headers[APP_USER_HEADER] = `${user.id}/${user.team}`;
    next();
  };

  app.get("/", (_request, response) => {
    response.json({ app: "express-app", llm: "/llm/v1" });
  });
  app.get("/me/usage", signedIn, (_request, response) => {
    const user = response.locals.user as AppUser;
    response.json({ user: user.id, ...(options.usage.get(user.id) ?? { requests: 0, totalTokens: 0 }) });
  });
  // The gateway, behind the app's sign-in. Errors on the way (a 401 above, a 413 from the body parser)
  // get the OpenAI error shape from the middleware's error handler.
  app.use("/llm", signedIn, createExpressMiddleware(options.gateway));
  return app;
}
