/** How the store's keys are hash-tagged for Redis Cluster. See docs/guides/rate-limiting.md. */
export type HashTagMode = "prefix" | "subject";

// Braces delimit a hash tag, so they are escaped in subjects (and '%' so the escaping is unambiguous).
function escapeSubject(subject: string): string {
  return subject.replace(/[%{}]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The Redis key of one limit's state.
 * - `prefix` mode: `{<prefix>}<name>:<kind>:<subject>`. Every key in one slot: one script call decides all
 *   the limits of a request atomically, on one shard.
 * - `subject` mode: `<prefix>{s:<subject>}:<name>:<kind>`. A subject's keys share a slot, subjects spread
 *   over the cluster; a request whose limits have several subjects takes one call per subject.
 */
export function limitKey(
  mode: HashTagMode,
  prefix: string,
  name: string,
  kind: string,
  subject: string,
): string {
  const escaped = escapeSubject(subject);
  return mode === "prefix"
    ? `{${prefix}}${name}:${kind}:${escaped}`
    : `${prefix}{s:${escaped}}:${name}:${kind}`;
}

/** The hash tag of a key: what Redis Cluster hashes to pick its slot. */
export function hashTagOf(key: string): string {
  const open = key.indexOf("{");
  if (open === -1) return key;
  const close = key.indexOf("}", open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}
