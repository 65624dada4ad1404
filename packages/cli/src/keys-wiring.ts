import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { dirname, resolve } from "node:path";
import type { Gateway, Logger, Plugin } from "@switchyard/core";
import { createNodeHandler } from "@switchyard/http/node";
import { createKeysFromConfig, type KeysSetup } from "@switchyard/keys";
import type { SwitchyardConfig } from "./config-schema.js";

type NodeListener = (request: IncomingMessage, response: ServerResponse) => void;

/** The virtual keys of a served gateway: its plugin, and the admin API mounted on the gateway's port. */
export interface ServedKeys {
  readonly plugin: Plugin;
  /** Where the admin API answers, when an admin key is configured. */
  readonly adminPath: string | undefined;
  mount(server: Server): void;
  close(): Promise<void>;
}

/**
 * Opens the key store, budgets and spend from the config's `keys` section. The admin API (keys, spend,
 * revocation) is served under `<pathPrefix>/admin` only when `admin.key` is configured.
 */
export async function startKeys(
  config: SwitchyardConfig,
  configFile: string | undefined,
  logger: Logger,
): Promise<ServedKeys | undefined> {
  if (!config.keys) return undefined;
  const adminPath = `${config.server.pathPrefix}/admin`;
  const adminKey = (config as { admin?: { key?: string } }).admin?.key;
  const setup: KeysSetup = await createKeysFromConfig(config.keys, {
    baseDir: configFile ? dirname(resolve(configFile)) : process.cwd(),
    ...(adminKey ? { adminKey, adminPathPrefix: adminPath } : {}),
    logger,
  });
  const admin = setup.admin;
  return {
    plugin: setup.plugin,
    adminPath: admin ? adminPath : undefined,
    mount(server) {
      if (!admin) return;
      // The admin handler speaks the runtime-neutral contract, so the node adapter serves it as is.
      const serveAdmin = createNodeHandler({ handle: admin, logger } as unknown as Gateway);
      const listeners = server.listeners("request") as NodeListener[];
      server.removeAllListeners("request");
      server.on("request", (request: IncomingMessage, response: ServerResponse) => {
        const url = request.url ?? "/";
        if (url === adminPath || url.startsWith(`${adminPath}/`) || url.startsWith(`${adminPath}?`)) {
          serveAdmin(request, response);
          return;
        }
        for (const listener of listeners) listener(request, response);
      });
    },
    close: () => setup.close(),
  };
}
