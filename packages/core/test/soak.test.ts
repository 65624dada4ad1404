import { createMockUpstream, type MockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import { afterAll, describe, expect, it } from "vitest";
import { createGateway, type Gateway } from "../src/gateway.js";
import { silentLogger } from "../src/logger.js";
import { createRoutesPlugin } from "../src/routes-plugin.js";
import { chat, exchange, sseData } from "./drive.js";

const TOTAL = 10_000;
const CONCURRENCY = 64;
const HANG_MS = 15_000;

describe("soak: 10,000 requests through a route whose first upstream fails 20% of the time", () => {
  let primary: MockUpstream;
  let backup: MockUpstream;
  let gateway: Gateway;
  afterAll(async () => {
    await gateway?.close({ graceMs: 0 });
    await primary?.close();
    await backup?.close();
  });

  it("ends every request with a success or a well-formed error; none hangs; memory stays flat", {
    timeout: 180_000,
  }, async () => {
    primary = await createMockUpstream({
      record: false,
      replyTokens: 8,
      faults: {
        rate: 0.2,
        seed: 7,
        kinds: [
          { kind: "status", status: 500 },
          { kind: "status", status: 503 },
          { kind: "status", status: 429, retryAfterMs: 5 },
          { kind: "cut-stream", afterChunks: 2 },
          { kind: "reset" },
        ],
      },
    });
    backup = await createMockUpstream({ record: false, replyTokens: 8 });
    gateway = createGateway({
      logger: silentLogger,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      providers: [
        createOpenAIProvider({ name: "primary", baseURL: `${primary.url}/v1`, models: ["m"] }),
        createOpenAIProvider({ name: "backup", baseURL: `${backup.url}/v1`, models: ["m"] }),
      ],
      plugins: [
        createRoutesPlugin({
          routes: [
            {
              model: "soak",
              targets: [
                { provider: "primary", model: "m" },
                { provider: "backup", model: "m" },
              ],
            },
          ],
        }),
      ],
    });

    const outcomes = { ok: 0, error: 0, malformed: 0, hung: 0 };
    let heapAfterWarmup = 0;
    let next = 0;
    const one = async (index: number) => {
      const stream = index % 2 === 0;
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<"hung">((resolve) => {
        timer = setTimeout(() => resolve("hung"), HANG_MS);
      });
      const result = await Promise.race([exchange(gateway, chat({ model: "soak", stream })), hang]);
      clearTimeout(timer);
      if (result === "hung") return void outcomes.hung++;
      if (result.status !== 200) {
        const body = JSON.parse(result.text);
        if (typeof body?.error?.code === "string" && typeof body.error.message === "string") outcomes.error++;
        else outcomes.malformed++;
        return;
      }
      if (!stream) {
        const body = JSON.parse(result.text);
        if (body.object === "chat.completion") outcomes.ok++;
        else outcomes.malformed++;
        return;
      }
      const events = sseData(result.text);
      const last = events.at(-1);
      if (last === "[DONE]") outcomes.ok++;
      else if (last && JSON.parse(last).error?.code) outcomes.error++;
      else outcomes.malformed++;
    };
    const worker = async () => {
      while (next < TOTAL) {
        const index = next++;
        await one(index);
        if (index === 2_000) heapAfterWarmup = process.memoryUsage().heapUsed;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(outcomes.hung).toBe(0);
    expect(outcomes.malformed).toBe(0);
    expect(outcomes.ok + outcomes.error).toBe(TOTAL);
    // With a healthy fallback, only streams cut after their first event can fail (and nothing else).
    expect(outcomes.ok).toBeGreaterThan(TOTAL * 0.95);
    expect(gateway.inFlight).toBe(0);
    await expect.poll(() => primary.stats.inFlight + backup.stats.inFlight).toBe(0);
    // Flat: no per-request state is kept. A generous bound, as the heap is not collected on demand here.
    expect(process.memoryUsage().heapUsed - heapAfterWarmup).toBeLessThan(96 * 1024 * 1024);
  });
});
