import { parseArgs } from "node:util";
import { SwitchyardError } from "@switchyard/core";
import { type BudgetLimits, type KeyRateLimits, keyStatus, type VirtualKey } from "./key-record.js";
import { createKey, type KeyStore, type NewKey, revokeKey } from "./key-store.js";
import { openKeyStore } from "./keys-config.js";

/** Where the command writes, and the environment it reads (the CLI's `CliIo` fits). */
export interface KeysCommandIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

/** The usage text of `switchyard keys`. */
export const KEYS_HELP = `switchyard keys — manage virtual API keys

Usage:
  switchyard keys create --store STORE [--name NAME] [--team TEAM] [--model PATTERN]...
                         [--daily USD] [--monthly USD] [--total USD] [--rpm N] [--tpm N]
                         [--expires ISO-DATE|30d|12h] [--meta KEY=VALUE]... [--id ID] [--json]
      Create a key and print it once (only its SHA-256 is stored).
  switchyard keys list --store STORE [--team TEAM] [--json]
      List keys (never their secrets or hashes).
  switchyard keys revoke ID --store STORE
      Revoke a key: refused from the next request on; kept with its spend.

STORE is file:./keys.json (relative to the current directory), file:///abs/keys.json,
or redis://host:6379 (--prefix sets the Redis key prefix, default "swy:").
SWITCHYARD_KEY_STORE is used when --store is not given.

Guide: docs/guides/keys-and-budgets.md
`;

function parseCommand(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      store: { type: "string", short: "s" },
      prefix: { type: "string" },
      name: { type: "string" },
      team: { type: "string" },
      model: { type: "string", multiple: true },
      daily: { type: "string" },
      monthly: { type: "string" },
      total: { type: "string" },
      rpm: { type: "string" },
      tpm: { type: "string" },
      expires: { type: "string" },
      meta: { type: "string", multiple: true },
      id: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

type Values = ReturnType<typeof parseCommand>["values"];

class UsageError extends Error {}

function number(value: string | undefined, flag: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (
    value.trim() === "" ||
    !Number.isFinite(parsed) ||
    parsed < 0 ||
    (integer && !Number.isInteger(parsed))
  ) {
    throw new UsageError(`--${flag} must be a ${integer ? "whole " : ""}number >= 0, not '${value}'`);
  }
  return parsed;
}

/** `2026-01-01`, `2026-01-01T12:00:00Z`, or a duration from now: `30d`, `12h`, `90m`. */
function expiry(value: string | undefined, nowMs: number): string | undefined {
  if (value === undefined) return undefined;
  const relative = /^(\d+)([dhm])$/.exec(value);
  if (relative) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[relative[2] as "d" | "h" | "m"];
    return new Date(nowMs + Number(relative[1]) * unit).toISOString();
  }
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed))
    throw new UsageError(`--expires must be a date (2026-01-01) or a duration (30d, 12h), not '${value}'`);
  return new Date(parsed).toISOString();
}

function newKeyOf(values: Values, nowMs: number): NewKey {
  const budget: BudgetLimits = {
    ...(values.daily === undefined ? {} : { daily: number(values.daily, "daily", false) }),
    ...(values.monthly === undefined ? {} : { monthly: number(values.monthly, "monthly", false) }),
    ...(values.total === undefined ? {} : { total: number(values.total, "total", false) }),
  };
  const rateLimits: KeyRateLimits = {
    ...(values.rpm === undefined ? {} : { requestsPerMinute: number(values.rpm, "rpm", true) }),
    ...(values.tpm === undefined ? {} : { tokensPerMinute: number(values.tpm, "tpm", true) }),
  };
  const metadata: Record<string, string> = {};
  for (const pair of values.meta ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`--meta takes KEY=VALUE, not '${pair}'`);
    metadata[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const expiresAt = expiry(values.expires, nowMs);
  return {
    ...(values.id === undefined ? {} : { id: values.id }),
    ...(values.name === undefined ? {} : { name: values.name }),
    ...(values.team === undefined ? {} : { team: values.team }),
    ...(values.model === undefined ? {} : { models: values.model }),
    ...(Object.keys(budget).length === 0 ? {} : { budget }),
    ...(Object.keys(rateLimits).length === 0 ? {} : { rateLimits }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(Object.keys(metadata).length === 0 ? {} : { metadata }),
  };
}

function describeBudget(budget: BudgetLimits | undefined): string {
  if (budget === undefined) return "-";
  const parts = (["daily", "monthly", "total"] as const)
    .filter((period) => budget[period] !== undefined)
    .map(
      (period) =>
        `$${budget[period]}/${period === "daily" ? "day" : period === "monthly" ? "month" : "total"}`,
    );
  return parts.length === 0 ? "-" : parts.join(" ");
}

function table(keys: readonly VirtualKey[], nowMs: number): string {
  const rows = [
    ["ID", "NAME", "TEAM", "STATUS", "MODELS", "BUDGET", "CREATED", "EXPIRES"],
    ...keys.map((key) => [
      key.id,
      key.name ?? "-",
      key.team ?? "-",
      keyStatus(key, nowMs),
      key.models?.join(",") ?? "*",
      describeBudget(key.budget),
      key.createdAt.slice(0, 10),
      key.expiresAt?.slice(0, 16).replace("T", " ") ?? "-",
    ]),
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return `${rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}

/**
 * `switchyard keys create|list|revoke`. `argv` is what follows `keys` on the command line. Resolves with
 * the exit code: 0 done, 1 failed, 2 usage error. The created key is written to `io.out` once and nowhere
 * else.
 */
export async function runKeysCommand(argv: readonly string[], io: KeysCommandIo): Promise<number> {
  let parsed: ReturnType<typeof parseCommand>;
  try {
    parsed = parseCommand(argv);
  } catch (error) {
    io.err(`switchyard keys: ${(error as Error).message}\n\n${KEYS_HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const action = positionals[0];
  if (values.help || action === undefined || action === "help") {
    io.out(KEYS_HELP);
    return action === undefined && !values.help ? 2 : 0;
  }
  if (!["create", "list", "revoke"].includes(action)) {
    io.err(`switchyard keys: unknown action '${action}'\n\n${KEYS_HELP}`);
    return 2;
  }
  const url = values.store ?? io.env.SWITCHYARD_KEY_STORE;
  if (url === undefined) {
    io.err("switchyard keys: --store is required (file:./keys.json or redis://host:6379)\n");
    return 2;
  }
  let store: KeyStore | undefined;
  try {
    const nowMs = Date.now();
    if (action === "revoke" && positionals[1] === undefined)
      throw new UsageError("revoke needs the key's ID");
    if (positionals.length > (action === "revoke" ? 2 : 1))
      throw new UsageError(`unexpected argument '${positionals.at(-1)}'`);
    const fields = action === "create" ? newKeyOf(values, nowMs) : undefined;
    store = await openKeyStore(url, { ...(values.prefix === undefined ? {} : { prefix: values.prefix }) });
    if (action === "create") {
      const created = await createKey(store, fields, nowMs);
      if (values.json) io.out(`${JSON.stringify({ key: created.key, data: created.record }, null, 2)}\n`);
      else {
        const about = [
          created.record.name && `name '${created.record.name}'`,
          created.record.team && `team '${created.record.team}'`,
        ]
          .filter(Boolean)
          .join(", ");
        io.out(
          `Created ${created.record.id}${about ? ` (${about})` : ""}:\n\n  ${created.key}\n\n` +
            "Store it now: only its SHA-256 is kept, it cannot be shown again.\n",
        );
      }
      return 0;
    }
    if (action === "list") {
      const keys = (await store.list())
        .filter((key) => values.team === undefined || key.team === values.team)
        .map(({ sha256: _hash, ...key }) => key);
      if (values.json)
        io.out(
          `${JSON.stringify(
            keys.map((key) => ({ ...key, status: keyStatus(key, nowMs) })),
            null,
            2,
          )}\n`,
        );
      else io.out(keys.length === 0 ? "No keys.\n" : table(keys, nowMs));
      return 0;
    }
    const id = positionals[1] as string;
    const revoked = await revokeKey(store, id, nowMs);
    if (revoked === undefined) {
      io.err(`switchyard keys: no key '${id}'\n`);
      return 1;
    }
    io.out(`Revoked ${revoked.id} at ${revoked.revokedAt}: refused from the next request on.\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`switchyard keys: ${error.message}\n`);
      return 2;
    }
    const message = SwitchyardError.is(error) ? error.message : (error as Error).message;
    io.err(`switchyard keys: ${message}\n`);
    return 1;
  } finally {
    await store?.close?.();
  }
}
