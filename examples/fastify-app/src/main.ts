import { buildApp } from "./app.js";
import { DEMO_USERS, parseAppUsers } from "./app-users.js";

const app = await buildApp({ users: parseAppUsers(process.env.APP_USERS ?? DEMO_USERS) });
const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: "127.0.0.1" });
process.stdout.write(`fastify-app listening on ${address} (gateway under /llm)\n`);

const stop = async () => {
  // Runs the plugin's preClose hook: in-flight streams get up to 10 s to finish.
  await app.close();
  process.stdout.write("fastify-app stopped\n");
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
