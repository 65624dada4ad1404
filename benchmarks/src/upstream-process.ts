/**
 * Child process: the mock OpenAI upstream(s) every server under test forwards to. Several mock upstreams with
 * different pacing share this one process (and core); only one is busy at a time.
 */
import { createMockUpstream, type MockUpstream, type MockUpstreamOptions } from "@switchyard/provider-mock";
import { readChildConfig, runChild } from "./child-runtime.js";
import type { UpstreamReadyInfo } from "./ipc-protocol.js";

/** The upstream child's config: mock upstream options by name. */
export interface UpstreamProcessConfig {
  readonly upstreams: Readonly<Record<string, MockUpstreamOptions>>;
}

const config = readChildConfig<UpstreamProcessConfig>();
const running: MockUpstream[] = [];
const urls: Record<string, string> = {};
for (const [name, options] of Object.entries(config.upstreams)) {
  // Recording keeps the last 1000 request bodies: work and memory a load test must not pay for.
  const upstream = await createMockUpstream({ ...options, host: "127.0.0.1", port: 0, record: false });
  running.push(upstream);
  urls[name] = upstream.url;
}

runChild({ urls, pid: process.pid } satisfies UpstreamReadyInfo, {
  onShutdown: async () => {
    await Promise.all(running.map((upstream) => upstream.close()));
  },
});
