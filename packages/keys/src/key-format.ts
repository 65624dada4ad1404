import { randomBytes } from "node:crypto";

/** Every virtual key starts with this; the plugin leaves other keys to other `authenticate` taps. */
export const KEY_PREFIX = "sk-swy-";

/** Random bytes in a key: 256 bits, so a fast hash (SHA-256) is enough (nothing to brute-force). */
const KEY_BYTES = 32;

/** A new secret key: `sk-swy-` and 43 base64url characters (256 random bits). */
export function generateKeySecret(): string {
  return `${KEY_PREFIX}${randomBytes(KEY_BYTES).toString("base64url")}`;
}

/** A new public key id: `key_` and 16 hex characters. Safe to log, show and use as a limit subject. */
export function generateKeyId(): string {
  return `key_${randomBytes(8).toString("hex")}`;
}

/** Whether `value` is shaped like a virtual key (the prefix and base64url characters). */
export function isVirtualKey(value: string): boolean {
  return value.startsWith(KEY_PREFIX) && /^[A-Za-z0-9_-]{20,200}$/.test(value.slice(KEY_PREFIX.length));
}

/** The key a request presents: the same rules as core's static API key plugin (one implementation). */
export { presentedKey } from "@switchyard/core";
