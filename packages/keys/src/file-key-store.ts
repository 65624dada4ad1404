import { randomBytes } from "node:crypto";
import { type BigIntStats, constants, statSync } from "node:fs";
import { open, readFile, rename, rm, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { SwitchyardError } from "@switchyard/core";
import { z } from "zod";
import { type StoredKey, storedKeySchema } from "./key-record.js";
import { applyChanges, type KeyStore } from "./key-store.js";

/** Options of {@link createFileKeyStore}. */
export interface FileKeyStoreOptions {
  /** The JSON file. Created (mode 0600) by the first write when missing; a missing file holds no keys. */
  path: string;
  /**
   * Told when the file changed but cannot be read or is invalid (a hand edit gone wrong): the keys read
   * last stay in use until the file is fixed. @default undefined (the error is only thrown when no good
   * version was ever read)
   */
  onError?: (error: Error) => void;
  /** How long a write waits for another writer's lock before giving up. @default 5000 */
  lockTimeoutMs?: number;
}

const fileSchema = z.object({ version: z.literal(1), keys: z.array(storedKeySchema) }).strict();

interface Snapshot {
  readonly signature: string;
  readonly byHash: ReadonlyMap<string, StoredKey>;
  readonly byId: ReadonlyMap<string, StoredKey>;
  readonly keys: readonly StoredKey[];
}

const EMPTY: Snapshot = { signature: "missing", byHash: new Map(), byId: new Map(), keys: [] };
/** A lock older than this belongs to a writer that died: it is taken over. */
const STALE_LOCK_MS = 30_000;

function signatureOf(stats: BigIntStats): string {
  // A write replaces the file (rename), so the inode changes; in-place edits change mtime or size.
  return `${stats.ino}:${stats.size}:${stats.mtimeNs}`;
}

function snapshotOf(signature: string, text: string, path: string): Snapshot {
  let parsed: z.infer<typeof fileSchema>;
  try {
    parsed = fileSchema.parse(JSON.parse(text));
  } catch (error) {
    // Neither JSON.parse's message nor the error itself: V8 quotes the text around the fault, which may be
    // part of a key's hash, and this error is logged.
    const detail =
      error instanceof z.ZodError
        ? error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ")
        : "not valid JSON";
    throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", `key file ${path}: ${detail}`);
  }
  const byHash = new Map<string, StoredKey>();
  const byId = new Map<string, StoredKey>();
  for (const key of parsed.keys) {
    if (byId.has(key.id) || byHash.has(key.sha256)) {
      throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", `key file ${path}: key '${key.id}' appears twice.`);
    }
    byId.set(key.id, key);
    byHash.set(key.sha256, key);
  }
  return { signature, byHash, byId, keys: parsed.keys };
}

/**
 * The embedded key store: one JSON file (`{ "version": 1, "keys": [...] }`) holding each key's record and
 * SHA-256. Every lookup stats the file (one syscall) and re-reads it only when it changed, so a key
 * revoked by `switchyard keys revoke` (another process) is refused from the next request on. Writes take a
 * lock file, then replace the file atomically (write a temporary file, rename).
 */
export function createFileKeyStore(options: FileKeyStoreOptions): KeyStore {
  const { path, onError, lockTimeoutMs = 5_000 } = options;
  let snapshot: Snapshot | undefined;
  let failedSignature: string | undefined;
  let loading: { signature: string; promise: Promise<Snapshot> } | undefined;

  const load = async (): Promise<Snapshot> => {
    const handle = await open(path, constants.O_RDONLY).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    if (handle === undefined) return EMPTY;
    try {
      // Stat and read the same open file, so the signature belongs to the bytes read.
      const stats = await handle.stat({ bigint: true });
      return snapshotOf(signatureOf(stats), await handle.readFile("utf8"), path);
    } finally {
      await handle.close();
    }
  };

  const current = async (): Promise<Snapshot> => {
    // Synchronous on purpose: a stat of a local file takes microseconds, while the async one waits for a
    // libuv thread (hundreds of microseconds under load), on every request.
    const stats = statSync(path, { bigint: true, throwIfNoEntry: false });
    const signature = stats === undefined ? "missing" : signatureOf(stats);
    if (snapshot !== undefined && (snapshot.signature === signature || failedSignature === signature)) {
      return snapshot;
    }
    // Concurrent lookups that see the same change share one read.
    if (loading?.signature !== signature) {
      const promise = load().then(
        (loaded) => {
          snapshot = loaded;
          failedSignature = undefined;
          return loaded;
        },
        (error: Error) => {
          if (snapshot === undefined) throw error;
          failedSignature = signature;
          onError?.(error);
          return snapshot;
        },
      );
      loading = { signature, promise };
      const done = () => {
        if (loading?.promise === promise) loading = undefined;
      };
      // Both branches: a `finally` would make a second promise whose rejection nobody handles.
      promise.then(done, done);
    }
    return loading.promise;
  };

  const lock = async (): Promise<() => Promise<void>> => {
    const lockPath = `${path}.lock`;
    const deadline = Date.now() + lockTimeoutMs;
    for (;;) {
      try {
        const handle = await open(lockPath, "wx", 0o600);
        await handle.writeFile(String(process.pid));
        await handle.close();
        return () => rm(lockPath, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const held = await stat(lockPath).catch(() => undefined);
        if (held !== undefined && Date.now() - held.mtimeMs > STALE_LOCK_MS) {
          await rm(lockPath, { force: true });
          continue;
        }
        if (Date.now() > deadline) {
          throw new SwitchyardError(
            "SWY_ERR_CONFIG_INVALID",
            `key file ${path}: another writer holds ${lockPath}; remove it if no switchyard process is writing.`,
          );
        }
        await sleep(15 + Math.random() * 20);
      }
    }
  };

  /** Reads the file fresh under the lock, changes the keys, and replaces the file. */
  const mutate = async <T>(change: (keys: StoredKey[]) => T): Promise<T> => {
    const unlock = await lock();
    try {
      const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw error;
      });
      const keys = text === undefined ? [] : [...snapshotOf("", text, path).keys];
      const result = change(keys);
      const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
      const handle = await open(temporary, "wx", 0o600);
      try {
        await handle.writeFile(`${JSON.stringify({ version: 1, keys }, null, 2)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, path);
      return result;
    } finally {
      await unlock();
    }
  };

  return {
    async findByHash(sha256) {
      return (await current()).byHash.get(sha256);
    },
    async get(id) {
      return (await current()).byId.get(id);
    },
    async list() {
      return [...(await current()).keys];
    },
    async add(key) {
      storedKeySchema.parse(key);
      await mutate((keys) => {
        if (keys.some((existing) => existing.id === key.id || existing.sha256 === key.sha256)) {
          throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", `A key with id '${key.id}' already exists.`);
        }
        keys.push(key);
      });
    },
    async update(id, changes) {
      return mutate((keys) => {
        const index = keys.findIndex((key) => key.id === id);
        const existing = keys[index];
        if (existing === undefined) return undefined;
        const next = storedKeySchema.parse(applyChanges(existing, changes)) as StoredKey;
        keys[index] = next;
        return next;
      });
    },
  };
}
