import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { type Gateway, SwitchyardError } from "@switchyard/core";
import { startTelemetry, type Telemetry } from "@switchyard/otel";
import { createDashboard } from "@switchyard/otel/dashboard";
import type { SwitchyardConfig } from "./config-schema.js";

type NodeListener = (request: IncomingMessage, response: ServerResponse) => void;

/** What `serve` runs besides the gateway: the OpenTelemetry SDK, `/metrics`, `/dashboard`. */
export interface Observability {
  /** Paths served on the gateway's port, e.g. `/metrics`, `/dashboard` (under the path prefix). */
  readonly paths: readonly string[];
  /** Who may read them: holders of the admin key, or (without one) clients on this machine. */
  readonly access: "admin key" | "loopback clients";
  /** The URL of a Prometheus exporter on a port of its own, when configured so. */
  readonly prometheusUrl: string | undefined;
  /** Puts the admin paths in front of the server's request listener. */
  mount(server: Server): void;
  /** Stops the dashboard and flushes and stops the SDK. */
  close(): Promise<void>;
}

/**
 * Starts what the config's `telemetry` key asks for. `undefined` when it asks for nothing beyond the
 * gateway's own (no-op) instrumentation and request log.
 */
export async function startObservability(
  config: SwitchyardConfig,
  gateway: Gateway,
): Promise<Observability | undefined> {
  const settings = config.telemetry;
  if (!settings) return undefined;
  const { prometheus, otlp } = settings;
  let telemetry: Telemetry | undefined;
  if (prometheus !== false || otlp) {
    telemetry = await startTelemetry({
      serviceName: settings.serviceName,
      prometheus: prometheus === true ? {} : prometheus,
      otlp: otlp ?? false,
    });
  }
  const prefix = config.server.pathPrefix;
  const dashboard = settings.dashboard
    ? createDashboard(gateway, { path: `${prefix}/dashboard` })
    : undefined;
  const metricsPath = `${prefix}/metrics`;
  const metrics = telemetry?.metricsHandler;
  const paths = [...(metrics ? [metricsPath] : []), ...(dashboard ? [dashboard.path] : [])];
  if (paths.length === 0 && !telemetry) return undefined;
  const adminKey = config.admin?.key;
  const check = adminKey === undefined ? loopbackOnly : keyRequired(adminKey);

  const route = (request: IncomingMessage, response: ServerResponse): boolean => {
    const url = request.url ?? "/";
    const queryAt = url.indexOf("?");
    const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
    const isMetrics = metrics !== undefined && pathname === metricsPath;
    const isDashboard =
      dashboard !== undefined &&
      (pathname === dashboard.path ||
        pathname === `${dashboard.path}/` ||
        pathname === `${dashboard.path}/data`);
    if (!isMetrics && !isDashboard) return false;
    const refusal = check(request);
    if (refusal) {
      answerError(response, refusal);
      return true;
    }
    if (isMetrics) {
      if (request.method !== "GET" && request.method !== "HEAD") {
        answerError(
          response,
          new SwitchyardError("SWY_ERR_HTTP_METHOD_NOT_ALLOWED", `${metricsPath} takes GET.`, {
            headers: { allow: "GET" },
          }),
        );
      } else metrics(request, response);
      return true;
    }
    return dashboard?.handle(request, response, pathname) ?? false;
  };

  return {
    paths,
    access: adminKey === undefined ? "loopback clients" : "admin key",
    prometheusUrl: telemetry?.prometheusUrl,
    mount(server) {
      if (paths.length === 0) return;
      // `listen` created the server with the gateway's listener; admin paths go first, the rest to it.
      const listeners = server.listeners("request") as NodeListener[];
      server.removeAllListeners("request");
      server.on("request", (request: IncomingMessage, response: ServerResponse) => {
        if (route(request, response)) return;
        for (const listener of listeners) listener(request, response);
      });
    },
    async close() {
      dashboard?.close();
      await telemetry?.shutdown();
    },
  };
}

/** Without an admin key: only clients on this machine (a reverse proxy on it counts: then set a key). */
function loopbackOnly(request: IncomingMessage): SwitchyardError | undefined {
  if (isLoopback(request.socket.remoteAddress)) return undefined;
  return new SwitchyardError(
    "SWY_ERR_AUTH_FORBIDDEN",
    "Admin paths answer clients on this machine only; set admin.key to reach them from elsewhere.",
  );
}

/** With an admin key: `Authorization: Bearer <key>`, or HTTP Basic with the key as password (browsers). */
function keyRequired(key: string): (request: IncomingMessage) => SwitchyardError | undefined {
  const expected = digest(key);
  return (request) => {
    const offered = offeredKey(request.headers.authorization);
    if (offered === undefined) {
      return new SwitchyardError("SWY_ERR_AUTH_MISSING", "The admin key is required.", {
        headers: { "www-authenticate": 'Basic realm="switchyard admin", charset="UTF-8"' },
      });
    }
    if (!timingSafeEqual(digest(offered), expected)) {
      return new SwitchyardError("SWY_ERR_AUTH_INVALID", "The admin key is not valid.", {
        headers: { "www-authenticate": 'Basic realm="switchyard admin", charset="UTF-8"' },
      });
    }
    return undefined;
  };
}

function offeredKey(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const space = authorization.indexOf(" ");
  if (space === -1) return undefined;
  const scheme = authorization.slice(0, space).toLowerCase();
  const value = authorization.slice(space + 1).trim();
  if (scheme === "bearer") return value;
  if (scheme !== "basic") return undefined;
  const decoded = Buffer.from(value, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Whether a socket's remote address is this machine: 127.0.0.0/8, ::1, or IPv4-mapped 127.x. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return v4.startsWith("127.") || address === "::1";
}

function answerError(response: ServerResponse, error: SwitchyardError): void {
  const body = JSON.stringify(error.toBody());
  response.writeHead(error.status, {
    ...error.headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  response.end(body);
}
