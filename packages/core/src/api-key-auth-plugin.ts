import { createHash, timingSafeEqual } from "node:crypto";
import type { Principal, RequestContext } from "./context.js";
import { SwitchyardError } from "./errors.js";
import type { Gateway } from "./gateway.js";
import type { Plugin } from "./plugin.js";

const PLUGIN_NAME = "switchyard:api-key-auth";

/** One accepted key: give `key` (hashed at start-up, then dropped) or its SHA-256 `sha256` in hex. */
export type ApiKeyEntry = {
  /** The principal id for this key; logged and used as a limit key, so never the key itself. */
  readonly id: string;
  readonly team?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
} & ({ readonly key: string; readonly sha256?: never } | { readonly sha256: string; readonly key?: never });

/** Options of the static API key plugin. */
export interface ApiKeyAuthOptions {
  readonly keys: readonly ApiKeyEntry[];
}

/** SHA-256 of a key, hex: the form keys are kept in. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/**
 * Authenticates `Authorization: Bearer <key>` (or `x-api-key`) against a fixed list of keys. Keys are held
 * only as SHA-256 digests, looked up by digest and compared in constant time. A missing key leaves the
 * request anonymous (refused when the gateway requires auth); a wrong key is refused with 401.
 */
export function createApiKeyAuthPlugin(options: ApiKeyAuthOptions): Plugin {
  const byDigest = new Map<string, { digest: Buffer; principal: Principal }>();
  for (const entry of options.keys) {
    const hex = entry.key !== undefined ? hashApiKey(entry.key) : entry.sha256.toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hex)) {
      throw new SwitchyardError(
        "SWY_ERR_CONFIG_INVALID",
        `API key '${entry.id}': sha256 must be 64 hex digits.`,
      );
    }
    const principal: Principal = { id: entry.id, team: entry.team, metadata: entry.metadata };
    byDigest.set(hex, { digest: Buffer.from(hex, "hex"), principal });
  }
  return {
    name: PLUGIN_NAME,
    apply(gateway: Gateway) {
      gateway.hooks.authenticate.tapPromise(PLUGIN_NAME, async (context: RequestContext) => {
        const presented = presentedKey(context.headers);
        if (presented === undefined) return undefined;
        const digest = createHash("sha256").update(presented).digest();
        const found = byDigest.get(digest.toString("hex"));
        if (!found || !timingSafeEqual(found.digest, digest)) {
          throw new SwitchyardError("SWY_ERR_AUTH_INVALID", "The API key is not valid.");
        }
        return found.principal;
      });
    },
  };
}

/**
 * The API key a request presents: `Authorization: Bearer <key>` (any other Authorization value is returned
 * whole, so it fails lookup instead of passing as anonymous), else `x-api-key`.
 */
export function presentedKey(headers: Readonly<Record<string, string | undefined>>): string | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1] ?? authorization;
  }
  return headers["x-api-key"] || undefined;
}
