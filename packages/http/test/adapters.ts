import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Gateway } from "@switchyard/core";
import express from "express";
import Fastify from "fastify";
import type { CorsOptions } from "../src/cors.js";
import { createExpressMiddleware } from "../src/express.js";
import { fastifySwitchyard } from "../src/fastify.js";
import { createFetchHandler } from "../src/fetch.js";
import { closeGracefully, handleClientError, listen } from "../src/node.js";
import { type BridgeConnectionInfo, createFetchBridge } from "./fetch-bridge.js";

/** How a test starts the gateway behind one adapter. */
export interface AdapterStartOptions {
  /** Mount path: `""` or e.g. `/llm`. */
  pathPrefix: string;
  cors?: CorsOptions;
  /** Grace period of the adapter's graceful shutdown. */
  graceMs: number;
  /** The gateway's body limit; an Express body parser in front gets the same one. */
  bodyLimitBytes: number;
}

/** The gateway served by one adapter on 127.0.0.1. */
export interface RunningAdapter {
  /** Base URL of the gateway: the server's origin plus the mount path. */
  readonly url: string;
  /** The node:http server underneath (connection counts, listeners). */
  readonly server: Server;
  /** Graceful shutdown the way the adapter's users do it. */
  close(): Promise<void>;
}

/** One adapter under the conformance suite. */
export interface AdapterHarness {
  readonly name: string;
  /** An app body parser in front reads an over-limit body to its end before answering 413. */
  readonly drainsOversizedBodies?: boolean;
  start(gateway: Gateway, options: AdapterStartOptions): Promise<RunningAdapter>;
}

async function listenOn(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export const nodeAdapter: AdapterHarness = {
  name: "node",
  async start(gateway, options) {
    const running = await listen(gateway, {
      port: 0,
      pathPrefix: options.pathPrefix,
      cors: options.cors,
      graceMs: options.graceMs,
    });
    return { url: running.url + options.pathPrefix, server: running.server, close: () => running.close() };
  },
};

function expressAdapter(withJsonParser: boolean): AdapterHarness {
  return {
    name: withJsonParser ? "express + express.json()" : "express",
    drainsOversizedBodies: withJsonParser,
    async start(gateway, options) {
      const app = express();
      // An app's own body parser in front of everything, as many apps have.
      if (withJsonParser) app.use(express.json({ limit: options.bodyLimitBytes }));
      app.get("/app/ping", (_request, response) => {
        response.json({ app: "pong" });
      });
      app.use(options.pathPrefix || "/", createExpressMiddleware(gateway, { cors: options.cors }));
      const server = createServer(app);
      server.on("clientError", handleClientError);
      const origin = await listenOn(server);
      return {
        url: origin + options.pathPrefix,
        server,
        close: () => closeGracefully(server, gateway, { graceMs: options.graceMs }),
      };
    },
  };
}

export const fastifyAdapter: AdapterHarness = {
  name: "fastify",
  async start(gateway, options) {
    const app = Fastify({ logger: false, clientErrorHandler: handleClientError });
    app.get("/app/ping", async () => ({ app: "pong" }));
    await app.register(fastifySwitchyard, {
      gateway,
      prefix: options.pathPrefix,
      cors: options.cors,
      graceMs: options.graceMs,
    });
    const origin = await app.listen({ port: 0, host: "127.0.0.1" });
    return { url: origin + options.pathPrefix, server: app.server, close: () => app.close() };
  },
};

export const fetchAdapter: AdapterHarness = {
  name: "fetch (on a node:http bridge)",
  async start(gateway, options) {
    await gateway.start();
    const handler = createFetchHandler(gateway, {
      pathPrefix: options.pathPrefix,
      cors: options.cors,
      remoteAddress: (_request, info: BridgeConnectionInfo) => info.remoteAddress,
    });
    const server = createServer(createFetchBridge(handler));
    server.on("clientError", handleClientError);
    const origin = await listenOn(server);
    return {
      url: origin + options.pathPrefix,
      server,
      close: () => closeGracefully(server, gateway, { graceMs: options.graceMs }),
    };
  },
};

/** Every adapter; the conformance suite runs against each. */
export const adapters: readonly AdapterHarness[] = [
  nodeAdapter,
  expressAdapter(false),
  expressAdapter(true),
  fastifyAdapter,
  fetchAdapter,
];
