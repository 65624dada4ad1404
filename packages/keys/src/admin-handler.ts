import { timingSafeEqual } from "node:crypto";
import {
  type GatewayHttpRequest,
  type GatewayHttpResponse,
  hashApiKey,
  SwitchyardError,
  toSwitchyardError,
} from "@switchyard/core";
import { z } from "zod";
import type { BudgetLedger, BudgetStatus } from "./budget-ledger.js";
import { presentedKey } from "./key-format.js";
import { keyFieldsSchema, keyStatus, publicKey, type StoredKey, type VirtualKey } from "./key-record.js";
import { createKey, type KeyStore, revokeKey } from "./key-store.js";
import { type SpendGrouping, type SpendStore, summarizeSpend, utcDay } from "./spend-store.js";

/** Options of {@link createAdminHandler}. */
export interface AdminHandlerOptions {
  /** The admin API's own key (at least 16 characters), sent as `Authorization: Bearer <key>` or `x-api-key`. */
  adminKey: string;
  /** The key store to list, create and revoke in. */
  store: KeyStore;
  /** Where spend is read for `GET /spend` and a key's page. @default undefined (no spend endpoints) */
  spend?: SpendStore;
  /** Budgets, to show what each key's and team's budget holds. @default undefined */
  budgets?: BudgetLedger;
  /** Path the handler is mounted under, stripped before routing (e.g. `/admin`). @default "" */
  pathPrefix?: string;
  /** Clock for expiry status and default spend ranges. @default Date.now */
  clock?: () => number;
}

/** A runtime-neutral request handler, like `gateway.handle`. */
export type AdminHandler = (request: GatewayHttpRequest) => Promise<GatewayHttpResponse>;

const MAX_BODY_BYTES = 64 * 1024;
const JSON_HEADERS = { "content-type": "application/json", "cache-control": "no-store" } as const;

const createBodySchema = keyFieldsSchema
  .extend({
    id: z
      .string()
      .regex(/^[\w.:-]{1,128}$/)
      .optional(),
  })
  .strict();

/** A key as the admin API shows it: the record, whether it works now, and (on its page) its budgets. */
export interface AdminKeyView extends VirtualKey {
  readonly status: "active" | "revoked" | "expired";
}

/**
 * The admin API, as one handler to mount on a separate port or prefix. Every route needs the admin key
 * (compared in constant time). Keys are shown without their hashes; a created key's secret is in that one
 * response only.
 *
 * - `GET /keys`: every key (`?team=` filters).
 * - `POST /keys`: create one (`{ name, team, models, budget, rateLimits, expiresAt, metadata }`) -> 201 `{ key, data }`.
 * - `GET /keys/:id`: one key, its budgets and this month's spend.
 * - `POST /keys/:id/revoke` or `DELETE /keys/:id`: revoke it (kept, with its spend; refused from the next request on).
 * - `GET /spend?from=&to=&key=&team=&model=&groupBy=key|team|model|day`: spend in USD and micro-USD.
 */
export function createAdminHandler(options: AdminHandlerOptions): AdminHandler {
  if (typeof options.adminKey !== "string" || options.adminKey.length < 16) {
    throw new SwitchyardError(
      "SWY_ERR_CONFIG_INVALID",
      "admin API: adminKey must be at least 16 characters.",
    );
  }
  const expected = Buffer.from(hashApiKey(options.adminKey), "hex");
  const { store, spend, budgets, pathPrefix = "" } = options;
  const clock = options.clock ?? Date.now;

  const view = (key: StoredKey): AdminKeyView => ({ ...publicKey(key), status: keyStatus(key, clock()) });

  const budgetsOf = async (key: StoredKey): Promise<BudgetStatus[]> =>
    budgets === undefined ? [] : budgets.status(budgets.linesFor(key.id, key.budget, key.team));

  const route = async (
    request: GatewayHttpRequest,
    path: string,
    query: URLSearchParams,
  ): Promise<GatewayHttpResponse> => {
    const parts = path.split("/").filter((part) => part !== "");
    const method = request.method.toUpperCase();
    if (parts[0] === "keys" && parts.length === 1) {
      if (method === "GET") {
        const team = query.get("team");
        const keys = (await store.list()).filter((key) => team === null || key.team === team);
        return json(200, { object: "list", data: keys.map(view) });
      }
      if (method === "POST") {
        const parsed = createBodySchema.safeParse(await readJson(request));
        if (!parsed.success) throw invalid(parsed.error);
        const created = await createKey(store, parsed.data, clock());
        return json(201, {
          key: created.key,
          data: { ...created.record, status: "active" },
          warning: "Store the key now: it is not kept and cannot be shown again.",
        });
      }
      throw methodNotAllowed("GET, POST");
    }
    if (parts[0] === "keys" && parts.length >= 2) {
      const id = decodeURIComponent(parts[1] as string);
      const revoke =
        (method === "POST" && parts[2] === "revoke" && parts.length === 3) ||
        (method === "DELETE" && parts.length === 2);
      if (revoke) {
        const revoked = await revokeKey(store, id, clock());
        if (revoked === undefined) throw notFound(id);
        return json(200, { data: { ...revoked, status: "revoked" } });
      }
      if (method === "GET" && parts.length === 2) {
        const key = await store.get(id);
        if (key === undefined) throw notFound(id);
        const now = clock();
        const month = utcDay(now).slice(0, 8);
        const rows =
          spend === undefined
            ? undefined
            : await spend.query({ from: `${month}01`, to: utcDay(now), key: id });
        return json(200, {
          data: view(key),
          budgets: await budgetsOf(key),
          ...(rows === undefined ? {} : { spendThisMonth: summarizeSpend(rows)[0] }),
        });
      }
      throw methodNotAllowed(parts.length === 2 ? "GET, DELETE" : "POST");
    }
    if (parts[0] === "spend" && parts.length === 1) {
      if (method !== "GET") throw methodNotAllowed("GET");
      if (spend === undefined)
        throw new SwitchyardError("SWY_ERR_HTTP_NOT_FOUND", "No spend store is configured.");
      const now = clock();
      const from = query.get("from") ?? `${utcDay(now).slice(0, 8)}01`;
      const to = query.get("to") ?? utcDay(now);
      const groupBy = query.get("groupBy") ?? undefined;
      if (groupBy !== undefined && !["key", "team", "model", "day"].includes(groupBy)) {
        throw new SwitchyardError("SWY_ERR_REQUEST_INVALID", "groupBy must be key, team, model or day.", {
          param: "groupBy",
        });
      }
      let rows: Awaited<ReturnType<SpendStore["query"]>>;
      try {
        rows = await spend.query({
          from,
          to,
          ...(query.get("key") === null ? {} : { key: query.get("key") as string }),
          ...(query.get("team") === null ? {} : { team: query.get("team") as string }),
          ...(query.get("model") === null ? {} : { model: query.get("model") as string }),
        });
      } catch (error) {
        if (error instanceof RangeError)
          throw new SwitchyardError("SWY_ERR_REQUEST_INVALID", error.message, { param: "from" });
        throw error;
      }
      return json(200, {
        object: "spend",
        from,
        to,
        total: summarizeSpend(rows)[0],
        ...(groupBy === undefined ? {} : { groupBy, data: summarizeSpend(rows, groupBy as SpendGrouping) }),
      });
    }
    throw new SwitchyardError(
      "SWY_ERR_HTTP_NOT_FOUND",
      `No admin route for ${method} ${path.slice(0, 200)}.`,
    );
  };

  return async (request) => {
    try {
      const offered = presentedKey(request.headers);
      if (offered === undefined)
        throw new SwitchyardError("SWY_ERR_AUTH_MISSING", "The admin key is required.");
      if (!timingSafeEqual(Buffer.from(hashApiKey(offered), "hex"), expected)) {
        throw new SwitchyardError("SWY_ERR_AUTH_INVALID", "The admin key is not valid.");
      }
      const queryAt = request.path.indexOf("?");
      const fullPath = queryAt === -1 ? request.path : request.path.slice(0, queryAt);
      const query = new URLSearchParams(queryAt === -1 ? "" : request.path.slice(queryAt + 1));
      if (pathPrefix !== "" && fullPath !== pathPrefix && !fullPath.startsWith(`${pathPrefix}/`)) {
        throw new SwitchyardError("SWY_ERR_HTTP_NOT_FOUND", "Not an admin path.");
      }
      return await route(request, fullPath.slice(pathPrefix.length), query);
    } catch (error) {
      const failure = toSwitchyardError(error);
      return {
        status: failure.status,
        headers: { ...JSON_HEADERS, ...failure.headers },
        body: JSON.stringify(failure.toBody()),
      };
    }
  };
}

function json(status: number, body: unknown): GatewayHttpResponse {
  return { status, headers: JSON_HEADERS, body: JSON.stringify(body) };
}

function notFound(id: string): SwitchyardError {
  return new SwitchyardError("SWY_ERR_HTTP_NOT_FOUND", `No key '${id.slice(0, 128)}'.`);
}

function methodNotAllowed(allow: string): SwitchyardError {
  return new SwitchyardError("SWY_ERR_HTTP_METHOD_NOT_ALLOWED", `This admin path takes ${allow}.`, {
    headers: { allow },
  });
}

function invalid(error: z.ZodError): SwitchyardError {
  const issue = error.issues[0];
  const param = issue?.path.join(".") || undefined;
  return new SwitchyardError(
    "SWY_ERR_REQUEST_INVALID",
    `${param ?? "(body)"}: ${issue?.message ?? "invalid"}`,
    {
      ...(param === undefined ? {} : { param }),
    },
  );
}

async function readJson(request: GatewayHttpRequest): Promise<unknown> {
  const body = request.body;
  if (body === undefined) return {};
  if (typeof body === "object" && "parsed" in body) return body.parsed;
  let text: string;
  if (typeof body === "string") text = body;
  else if (body instanceof Uint8Array) text = Buffer.from(body).toString("utf8");
  else {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES)
        throw new SwitchyardError("SWY_ERR_HTTP_BODY_TOO_LARGE", "The admin request body is too large.");
      chunks.push(Buffer.from(chunk));
    }
    text = Buffer.concat(chunks).toString("utf8");
  }
  if (text.length > MAX_BODY_BYTES)
    throw new SwitchyardError("SWY_ERR_HTTP_BODY_TOO_LARGE", "The admin request body is too large.");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new SwitchyardError("SWY_ERR_HTTP_INVALID_JSON", "The admin request body is not valid JSON.");
  }
}
