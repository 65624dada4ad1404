/**
 * One child process of the adapter benchmark: either the mock upstream, or the gateway served by one
 * adapter. Prints `READY <url>` once it listens and stops on SIGTERM.
 *
 *   node dist/adapters/adapter-server.js upstream
 *   node dist/adapters/adapter-server.js <node|express|fastify|fetch> <upstream url>
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createGateway, type Gateway, silentLogger } from "@switchyard/core";
import { createExpressMiddleware } from "@switchyard/http/express";
import { fastifySwitchyard } from "@switchyard/http/fastify";
import { createFetchHandler } from "@switchyard/http/fetch";
import { closeGracefully, createNodeHandler } from "@switchyard/http/node";
import { createMockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import express from "express";
import Fastify from "fastify";
import { ADAPTERS, type AdapterName, MOUNT } from "./adapter-names.js";
import { createFetchBridge } from "./fetch-bridge.js";

async function listenOn(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function serveGateway(
  adapter: AdapterName,
  gateway: Gateway,
): Promise<{ url: string; stop(): Promise<void> }> {
  await gateway.start();
  switch (adapter) {
    case "node": {
      const server = createServer(createNodeHandler(gateway, { pathPrefix: MOUNT }));
      return {
        url: await listenOn(server),
        stop: () => closeGracefully(server, gateway, { graceMs: 1_000 }),
      };
    }
    case "express": {
      const app = express();
      app.use(MOUNT, createExpressMiddleware(gateway));
      const server = createServer(app);
      return {
        url: await listenOn(server),
        stop: () => closeGracefully(server, gateway, { graceMs: 1_000 }),
      };
    }
    case "fastify": {
      const app = Fastify({ logger: false });
      await app.register(fastifySwitchyard, { gateway, prefix: MOUNT, graceMs: 1_000 });
      const url = await app.listen({ port: 0, host: "127.0.0.1" });
      return { url, stop: () => app.close() };
    }
    case "fetch": {
      const server = createServer(createFetchBridge(createFetchHandler(gateway, { pathPrefix: MOUNT })));
      return {
        url: await listenOn(server),
        stop: () => closeGracefully(server, gateway, { graceMs: 1_000 }),
      };
    }
  }
}

async function main(): Promise<void> {
  const [role, upstreamUrl] = process.argv.slice(2);
  let stop: () => Promise<void>;
  if (role === "upstream") {
    const upstream = await createMockUpstream({ record: false });
    process.stdout.write(`READY ${upstream.url}\n`);
    stop = () => upstream.close();
  } else if (ADAPTERS.includes(role as AdapterName) && upstreamUrl) {
    const gateway = createGateway({
      logger: silentLogger,
      providers: [
        createOpenAIProvider({
          name: "mock",
          baseURL: `${upstreamUrl}/v1`,
          apiKey: "unused",
          models: ["mock-1"],
        }),
      ],
    });
    const served = await serveGateway(role as AdapterName, gateway);
    process.stdout.write(`READY ${served.url}${MOUNT}\n`);
    stop = served.stop;
  } else {
    throw new Error(`usage: adapter-server.js upstream | <${ADAPTERS.join("|")}> <upstream url>`);
  }
  process.once("SIGTERM", () => {
    void stop().then(() => process.exit(0));
  });
}

await main();
