/** Child process: the minimal node:http + undici proxy (see minimal-proxy.ts), listening on 127.0.0.1. */
import type { AddressInfo } from "node:net";
import { readChildConfig, runChild } from "./child-runtime.js";
import type { ServerReadyInfo } from "./ipc-protocol.js";
import { createMinimalProxy } from "./minimal-proxy.js";

/** The proxy child's config. */
export interface ProxyProcessConfig {
  /** Origin of the mock upstream, e.g. `http://127.0.0.1:41234`. */
  readonly upstreamOrigin: string;
}

const config = readChildConfig<ProxyProcessConfig>();
const { server, pool } = createMinimalProxy(config.upstreamOrigin);
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address() as AddressInfo;

runChild({ url: `http://127.0.0.1:${port}`, pid: process.pid } satisfies ServerReadyInfo, {
  onShutdown: async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await pool.destroy();
  },
});
