import type { IncomingMessage, ServerResponse } from "node:http";
import type { Gateway } from "@switchyard/core";
import { DashboardAggregator, type DashboardAggregatorOptions } from "./dashboard-aggregator.js";
import { dashboardContentSecurityPolicy, dashboardHtml } from "./dashboard-page.js";

/** Options of `createDashboard`. */
export interface DashboardOptions extends DashboardAggregatorOptions {
  /** Where the page is served; its data is at `<path>/data`. @default "/dashboard" */
  path?: string;
}

/** A live dashboard for one gateway. */
export interface Dashboard {
  readonly aggregator: DashboardAggregator;
  /** The page's path, e.g. `/dashboard`. */
  readonly path: string;
  /**
   * Serves `GET <path>` (the page) and `GET <path>/data` (JSON) and returns true; returns false for any
   * other path, leaving the response untouched. `pathname` is the request path without its query string.
   * It does no access control: put it behind your own (the CLI requires its admin key or a loopback client).
   */
  handle(request: IncomingMessage, response: ServerResponse, pathname: string): boolean;
  /** Stops listening to the gateway's events. */
  close(): void;
}

/**
 * A live dashboard: one static HTML page (no build step) that polls a JSON snapshot of a
 * DashboardAggregator every 2 s.
 */
export function createDashboard(gateway: Gateway, options: DashboardOptions = {}): Dashboard {
  const path = (options.path ?? "/dashboard").replace(/\/+$/, "");
  if (!/^(\/[\w.-]+)+$/.test(path))
    throw new RangeError(`dashboard path must look like /dashboard, not '${path}'`);
  const aggregator = new DashboardAggregator(gateway, options);
  const pageBytes = Buffer.from(dashboardHtml);
  return {
    aggregator,
    path,
    handle(request, response, pathname) {
      const page = pathname === path || pathname === `${path}/`;
      const data = pathname === `${path}/data`;
      if (!page && !data) return false;
      if (request.method !== "GET" && request.method !== "HEAD") {
        response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
        response.end("Method not allowed.\n");
        return true;
      }
      const common = { "cache-control": "no-store", "x-content-type-options": "nosniff" };
      if (page) {
        response.writeHead(200, {
          ...common,
          "content-type": "text/html; charset=utf-8",
          "content-length": pageBytes.byteLength,
          "content-security-policy": dashboardContentSecurityPolicy,
          "referrer-policy": "no-referrer",
        });
        response.end(request.method === "HEAD" ? undefined : pageBytes);
        return true;
      }
      const body = JSON.stringify(aggregator.snapshot());
      response.writeHead(200, {
        ...common,
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      });
      response.end(request.method === "HEAD" ? undefined : body);
      return true;
    },
    close() {
      aggregator.close();
    },
  };
}
