import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createDashboard, type Dashboard } from "../src/dashboard/index.js";
import { apiKeys, chat, startTelemetryStack, streamUsage, type TelemetryStack } from "./telemetry-stack.js";

/** A stack, its dashboard on a server of its own, and the traffic sent through it. */
export interface DashboardStack {
  readonly stack: TelemetryStack;
  readonly dashboard: Dashboard;
  /** `http://127.0.0.1:port/dashboard` */
  readonly pageUrl: string;
  /** What the traffic added up to, from the answers the clients got. */
  readonly expected: {
    readonly requests: number;
    readonly perPrincipal: Record<string, { requests: number; inputTokens: number; outputTokens: number }>;
  };
  close(): Promise<void>;
}

/**
 * Starts a stack with a dashboard and sends traffic: `team-alpha` makes two requests (the first fails once
 * upstream and is retried), `team-beta` one streamed request. So `up` sees 4 attempts, 1 failed.
 */
export async function startDashboardStack(): Promise<DashboardStack> {
  const stack = await startTelemetryStack();
  const dashboard = createDashboard(stack.gateway);
  const server: Server = createServer((request, response) => {
    const pathname = new URL(request.url ?? "/", "http://localhost").pathname;
    if (!dashboard.handle(request, response, pathname)) {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const [alpha, beta] = apiKeys;
  const perPrincipal: Record<string, { requests: number; inputTokens: number; outputTokens: number }> = {};
  const count = (
    principal: string,
    usage: { prompt_tokens: number; completion_tokens: number } | undefined,
  ) => {
    if (!usage) throw new Error("an answer without usage");
    const row = perPrincipal[principal] ?? { requests: 0, inputTokens: 0, outputTokens: 0 };
    perPrincipal[principal] = row;
    row.requests++;
    row.inputTokens += usage.prompt_tokens;
    row.outputTokens += usage.completion_tokens;
  };
  stack.upstream.enqueueFault({ kind: "status", status: 500 });
  for (let index = 0; index < 2; index++) {
    const { status, text } = await chat(stack.url, alpha.key);
    if (status !== 200) throw new Error(`traffic failed: ${status} ${text}`);
    count(alpha.id, JSON.parse(text).usage);
  }
  const streamed = await chat(stack.url, beta.key, { stream: true, stream_options: { include_usage: true } });
  if (streamed.status !== 200) throw new Error(`traffic failed: ${streamed.status}`);
  count(beta.id, streamUsage(streamed.text));

  return {
    stack,
    dashboard,
    pageUrl: `http://127.0.0.1:${port}/dashboard`,
    expected: { requests: 3, perPrincipal },
    async close() {
      dashboard.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stack.close();
    },
  };
}
