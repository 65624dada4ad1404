import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { closeGracefully, handleClientError } from "@switchyard/http/node";
import { createApp } from "./app.js";
import { createAppGateway } from "./app-gateway.js";
import { DEMO_USERS, parseAppUsers } from "./app-users.js";

const users = parseAppUsers(process.env.APP_USERS ?? DEMO_USERS);
const { gateway, usage } = createAppGateway();
await gateway.start();
const server = createServer(createApp({ gateway, usage, users }));
// Oversized or malformed requests are refused by Node before Express runs: answer them in the OpenAI shape.
server.on("clientError", handleClientError);
await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", resolve));
const { port } = server.address() as AddressInfo;
process.stdout.write(`express-app listening on http://127.0.0.1:${port} (gateway under /llm)\n`);

const stop = async () => {
  // Drains in-flight streams (up to 10 s), then exits.
  await closeGracefully(server, gateway, { graceMs: 10_000 });
  process.stdout.write("express-app stopped\n");
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
