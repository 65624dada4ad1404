import type { ApiKeyEntry } from "@switchyard/core";
import { listen } from "@switchyard/http/node";
import { createExampleGateway } from "./example-gateway.js";

// EXAMPLE_KEYS="alice:<key>,bob:<key>" gives each caller a principal; without it everyone is anonymous.
const keys: ApiKeyEntry[] = (process.env.EXAMPLE_KEYS ?? "")
  .split(",")
  .filter((pair) => pair.includes(":"))
  .map((pair) => {
    const at = pair.indexOf(":");
    return { id: pair.slice(0, at).trim(), key: pair.slice(at + 1).trim() };
  });

const { gateway, ledger } = createExampleGateway({ keys });
const server = await listen(gateway, { port: Number(process.env.PORT ?? 8787) });
process.stdout.write(
  `custom-plugin example listening on ${server.url}` +
    ` (${keys.length > 0 ? `keys: ${keys.map((key) => key.id).join(", ")}` : "no keys: all callers are anonymous"})\n`,
);

const stop = async () => {
  await server.close();
  for (const principal of ledger.principals()) {
    const totals = ledger.totals(principal);
    process.stdout.write(
      `${principal}: ${totals.requests} requests, ${totals.totalTokens} tokens, $${totals.cost.toFixed(6)}\n`,
    );
  }
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
