import { listen, type NodeGatewayServer } from "@switchyard/http/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLoopback, type Observability, startObservability } from "./admin-routes.js";
import { buildGateway } from "./build-gateway.js";
import { parseConfig } from "./load-config.js";

const ADMIN_KEY = "adm-5f2c8e1a9b7d3f6e0c4a";

interface Served {
  server: NodeGatewayServer;
  observability: Observability | undefined;
}

async function serve(raw: Record<string, unknown>): Promise<Served> {
  const config = parseConfig({ providers: [{ type: "mock" }], log: { level: "silent" }, ...raw });
  const gateway = buildGateway(config);
  const observability = await startObservability(config, gateway);
  const server = await listen(gateway, { port: 0, graceMs: 1_000 });
  observability?.mount(server.server);
  return { server, observability };
}

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

async function close(served: Served | undefined) {
  await served?.server.close();
  await served?.observability?.close();
}

const chat = (url: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "mock-1", messages: [{ role: "user", content: "hi" }] }),
  });

describe("/metrics and /dashboard behind the admin key", () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve({ telemetry: { prometheus: true, dashboard: true }, admin: { key: ADMIN_KEY } });
  });
  afterAll(() => close(served));

  it("serve both paths and say so", () => {
    expect(served.observability?.paths).toEqual(["/metrics", "/dashboard"]);
    expect(served.observability?.access).toBe("admin key");
  });

  it("refuse requests without the key, or with a wrong one, asking browsers for it", async () => {
    for (const path of ["/metrics", "/dashboard", "/dashboard/data"]) {
      const missing = await fetch(`${served.server.url}${path}`);
      expect(missing.status).toBe(401);
      expect(missing.headers.get("www-authenticate")).toMatch(/^Basic realm="switchyard admin"/);
      expect(await errorCode(missing)).toBe("missing_api_key");
    }
    const wrong = await fetch(`${served.server.url}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}x` },
    });
    expect(wrong.status).toBe(401);
    expect(await errorCode(wrong)).toBe("invalid_api_key");
  });

  it("serve Prometheus text to the key as a bearer token, and the dashboard to HTTP Basic", async () => {
    expect((await chat(served.server.url)).status).toBe(200);
    const metrics = await fetch(`${served.server.url}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(
      /^switchyard_requests_total\{.*http_response_status_code="200".*\} 1$/m,
    );
    const basic = `Basic ${Buffer.from(`admin:${ADMIN_KEY}`).toString("base64")}`;
    const data = await fetch(`${served.server.url}/dashboard/data`, { headers: { authorization: basic } });
    expect(data.status).toBe(200);
    expect(((await data.json()) as { requests: { total: number } }).requests.total).toBe(1);
  });

  it("leave every other path to the gateway", async () => {
    expect((await fetch(`${served.server.url}/health`)).status).toBe(200);
    expect((await fetch(`${served.server.url}/metricsx`)).status).toBe(404);
    const post = await fetch(`${served.server.url}/metrics`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(post.status).toBe(405);
  });
});

describe("without an admin key", () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve({ telemetry: { dashboard: true } });
  });
  afterAll(() => close(served));

  it("serve the dashboard to clients on this machine only", async () => {
    expect(served.observability?.access).toBe("loopback clients");
    expect(served.observability?.paths).toEqual(["/dashboard"]);
    const page = await fetch(`${served.server.url}/dashboard`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>Switchyard dashboard</title>");
    // Prometheus is off: /metrics is the gateway's 404.
    expect((await fetch(`${served.server.url}/metrics`)).status).toBe(404);
  });

  it("tell loopback addresses from others", () => {
    for (const address of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"])
      expect(isLoopback(address)).toBe(true);
    for (const address of ["10.0.0.1", "192.168.1.2", "::ffff:10.0.0.1", "fe80::1", "1.127.0.0", undefined])
      expect(isLoopback(address)).toBe(false);
  });
});

describe("with no telemetry key", () => {
  it("starts nothing, and admin paths are the gateway's 404", async () => {
    const served = await serve({});
    try {
      expect(served.observability).toBeUndefined();
      expect((await fetch(`${served.server.url}/dashboard`)).status).toBe(404);
    } finally {
      await close(served);
    }
  });
});
