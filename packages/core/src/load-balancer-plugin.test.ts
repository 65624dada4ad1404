import { describe, expect, it } from "vitest";
import type { RequestContext, RouteTarget } from "./context.js";
import { createGateway } from "./gateway.js";
import { createLoadBalancerPlugin, type LoadBalancerOptions } from "./load-balancer-plugin.js";
import { silentLogger } from "./logger.js";
import type { Endpoint } from "./provider.js";

const endpoint = (id: string, weight = 1): Endpoint => ({
  id,
  origin: "http://x",
  basePath: "",
  headers: {},
  weight,
});

function balancer(options: LoadBalancerOptions, endpoints: Endpoint[]) {
  const gateway = createGateway({ logger: silentLogger, plugins: [createLoadBalancerPlugin(options)] });
  const target = { provider: { name: "p", endpoints }, model: "m" } as unknown as RouteTarget;
  const pick = (failed: Endpoint[] = []) =>
    gateway.hooks.selectEndpoint.call({ target, endpoints, failed: new Set(failed) }, {} as RequestContext)
      ?.id;
  return { gateway, pick };
}

describe("load balancing strategies", () => {
  it("round-robin cycles through the endpoints", () => {
    const { pick } = balancer({ strategy: "round-robin" }, [endpoint("a"), endpoint("b"), endpoint("c")]);
    expect([pick(), pick(), pick(), pick()]).toEqual(["a", "b", "c", "a"]);
  });

  it("weighted spreads traffic by weight, smoothly", () => {
    const { pick } = balancer({ strategy: "weighted" }, [
      endpoint("a", 5),
      endpoint("b", 1),
      endpoint("c", 1),
    ]);
    const picks = Array.from({ length: 7 }, () => pick());
    expect(picks.filter((id) => id === "a")).toHaveLength(5);
    expect(picks).toEqual(["a", "a", "b", "a", "c", "a", "a"]);
  });

  it("least-in-flight prefers the idlest endpoint", () => {
    const endpoints = [endpoint("a"), endpoint("b")];
    const { gateway, pick } = balancer({ strategy: "least-in-flight" }, endpoints);
    gateway.endpointStats.get(endpoints[0] as Endpoint).inFlight = 3;
    expect(pick()).toBe("b");
  });

  it("latency prefers the faster endpoint of the two sampled", () => {
    const endpoints = [endpoint("fast"), endpoint("slow")];
    const { gateway, pick } = balancer({ strategy: "latency" }, endpoints);
    gateway.endpointStats.get(endpoints[0] as Endpoint).record(10, true);
    gateway.endpointStats.get(endpoints[1] as Endpoint).record(500, true);
    const picks = Array.from({ length: 20 }, () => pick());
    // With two endpoints, two different samples always compare; equal samples pick that one.
    expect(picks.filter((id) => id === "fast").length).toBeGreaterThanOrEqual(10);
    expect(picks.filter((id) => id === "slow").length).toBeLessThan(10);
  });

  it("avoids endpoints that already failed for the request", () => {
    const endpoints = [endpoint("a"), endpoint("b")];
    const { pick } = balancer({ strategy: "round-robin" }, endpoints);
    expect([pick([endpoints[0] as Endpoint]), pick([endpoints[0] as Endpoint])]).toEqual(["b", "b"]);
  });
});
