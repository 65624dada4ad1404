import { hashApiKey, SwitchyardError } from "@switchyard/core";
import { generateKeyId, generateKeySecret } from "./key-format.js";
import {
  compact,
  type KeyChanges,
  keyFieldsSchema,
  publicKey,
  type StoredKey,
  type VirtualKey,
} from "./key-record.js";

/**
 * Where virtual keys live. `findByHash` runs on every request and must see changes (a revocation) made by
 * any process at once: no caching beyond what the store can invalidate itself. See
 * docs/guides/keys-and-budgets.md#key-stores for writing one.
 */
export interface KeyStore {
  /** The key whose secret hashes to `sha256` (SHA-256, lower-case hex), revoked and expired ones included. */
  findByHash(sha256: string): Promise<StoredKey | undefined>;
  /** The key with this id. */
  get(id: string): Promise<StoredKey | undefined>;
  /** Every key, oldest first. */
  list(): Promise<StoredKey[]>;
  /** Adds a key. Throws when its id or hash is taken. */
  add(key: StoredKey): Promise<void>;
  /** Changes a key's fields; `undefined` when there is no such key. */
  update(id: string, changes: KeyChanges): Promise<StoredKey | undefined>;
  /** Releases what the store holds (connections, watchers). */
  close?(): Promise<void>;
}

/** What a new key is given; everything else (id, secret, dates) is generated. */
export type NewKey = Omit<KeyChanges, "revokedAt"> & {
  /** A chosen id instead of a generated `key_…` one. */
  readonly id?: string;
};

/** A key just created: the secret (shown this once, never stored) and its record. */
export interface CreatedKey {
  readonly key: string;
  readonly record: VirtualKey;
}

/** Creates a key in `store`: a fresh secret, its SHA-256 stored with the record. The secret is returned once. */
export async function createKey(
  store: KeyStore,
  fields: NewKey = {},
  nowMs = Date.now(),
): Promise<CreatedKey> {
  const { id, ...rest } = fields;
  const parsed = keyFieldsSchema.strict().safeParse(compact(rest));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SwitchyardError(
      "SWY_ERR_CONFIG_INVALID",
      `new key: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`,
    );
  }
  const key = generateKeySecret();
  const stored: StoredKey = compact({
    ...parsed.data,
    id: id ?? generateKeyId(),
    sha256: hashApiKey(key),
    createdAt: new Date(nowMs).toISOString(),
  });
  await store.add(stored);
  return { key, record: publicKey(stored) };
}

/** Revokes a key: refused from the next request on; kept (with its spend) for the record. */
export async function revokeKey(
  store: KeyStore,
  id: string,
  nowMs = Date.now(),
): Promise<VirtualKey | undefined> {
  const current = await store.get(id);
  if (current === undefined) return undefined;
  if (current.revokedAt !== undefined) return publicKey(current);
  const updated = await store.update(id, { revokedAt: new Date(nowMs).toISOString() });
  return updated && publicKey(updated);
}

/** Applies changes to a stored key (shared by the stores). */
export function applyChanges(key: StoredKey, changes: KeyChanges): StoredKey {
  return compact({ ...key, ...compact(changes) });
}

/** A key store in memory: for tests and single-process gateways that create keys in code. */
export function createMemoryKeyStore(initial: readonly StoredKey[] = []): KeyStore {
  const byId = new Map<string, StoredKey>();
  const byHash = new Map<string, StoredKey>();
  const put = (key: StoredKey) => {
    byId.set(key.id, key);
    byHash.set(key.sha256, key);
  };
  for (const key of initial) put(key);
  return {
    async findByHash(sha256) {
      return byHash.get(sha256);
    },
    async get(id) {
      return byId.get(id);
    },
    async list() {
      return [...byId.values()];
    },
    async add(key) {
      if (byId.has(key.id) || byHash.has(key.sha256)) {
        throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", `A key with id '${key.id}' already exists.`);
      }
      put(key);
    },
    async update(id, changes) {
      const current = byId.get(id);
      if (current === undefined) return undefined;
      const next = applyChanges(current, changes);
      put(next);
      return next;
    },
  };
}
