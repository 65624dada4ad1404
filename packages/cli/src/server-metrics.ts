import type { Server } from "node:http";
import { metrics } from "@opentelemetry/api";
import type { Gateway } from "@switchyard/core";

/** Metric names the CLI's server records, next to core's (docs/guides/observability.md). */
export const SERVER_METRICS = Object.freeze({
  /** Counter, `{request}`: requests refused by overload protection before they started, by `error.type`. */
  shed: "switchyard.requests.shed",
  /** Gauge, `{connection}`: open client connections of this process. */
  connections: "switchyard.server.connections",
  /** Counter, `{connection}`: connections closed at once because `server.maxConnections` was reached. */
  droppedConnections: "switchyard.server.connections.dropped",
  /** Counter, `{error}`: requests Node's HTTP parser refused, by `error.type` (timeouts: 408, heads too big: 431). */
  clientErrors: "switchyard.server.client_errors",
  /** Gauge: configured capacities of this process, by `switchyard.capacity.kind`, for saturation ratios. */
  capacity: "switchyard.capacity",
});

/** Capacities the `switchyard.capacity` gauge reports (0 = no cap). */
export interface ServerCapacity {
  readonly maxInFlight: number;
  readonly maxQueue: number;
  readonly maxConnections: number;
}

/**
 * Records what the HTTP server and overload protection refuse, which core's telemetry (per request that
 * started) never sees: shed requests, dropped connections, requests cut by Node's timeouts or size
 * limits, open connections and the configured caps. A no-op until an OpenTelemetry SDK is registered:
 * call it after `startTelemetry`.
 */
export function recordServerMetrics(server: Server, gateway: Gateway, capacity: ServerCapacity): void {
  const meter = metrics.getMeter("@switchyard/cli");
  const shed = meter.createCounter(SERVER_METRICS.shed, {
    description: "Requests refused by overload protection (503) before they started.",
    unit: "{request}",
  });
  const dropped = meter.createCounter(SERVER_METRICS.droppedConnections, {
    description: "Connections closed at once because server.maxConnections was reached.",
    unit: "{connection}",
  });
  const clientErrors = meter.createCounter(SERVER_METRICS.clientErrors, {
    description: "Requests refused by the HTTP parser: too slow (408), too large (431), malformed (400).",
    unit: "{error}",
  });
  let open = 0;
  server.on("connection", (socket) => {
    open++;
    socket.once("close", () => {
      open--;
    });
  });
  meter
    .createObservableGauge(SERVER_METRICS.connections, {
      description: "Open client connections.",
      unit: "{connection}",
    })
    .addCallback((result) => result.observe(open));
  meter
    .createObservableGauge(SERVER_METRICS.capacity, {
      description: "Configured capacities (0 = no cap), for saturation ratios.",
    })
    .addCallback((result) => {
      result.observe(capacity.maxInFlight, { "switchyard.capacity.kind": "requests_in_flight" });
      result.observe(capacity.maxQueue, { "switchyard.capacity.kind": "request_queue" });
      result.observe(capacity.maxConnections, { "switchyard.capacity.kind": "connections" });
    });
  gateway.events.on("request:shed", (_context, error) => shed.add(1, { "error.type": error.code }));
  server.on("drop", () => dropped.add(1));
  server.on("clientError", (error: Error & { code?: string }) =>
    clientErrors.add(1, { "error.type": error.code ?? "unknown" }),
  );
}
