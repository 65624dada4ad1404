import {
  createGateway,
  type Gateway,
  type GatewayOptions,
  type Plugin,
  type Provider,
  silentLogger,
} from "@switchyard/core";
import { createMockUpstream, type MockUpstream, type MockUpstreamOptions } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import {
  type CachePlugin,
  type CachePluginOptions,
  createCachePlugin,
  isInternalRequest,
} from "../src/index.js";

/** A gateway with the cache plugin over an OpenAI provider pointed at a mock upstream. */
export interface CacheStack {
  upstream: MockUpstream;
  gateway: Gateway;
  cache: CachePlugin;
  close(): Promise<void>;
}

/** Options of {@link startCacheStack}. */
export interface CacheStackOptions {
  cache?: CachePluginOptions;
  upstream?: MockUpstreamOptions;
  gateway?: Omit<GatewayOptions, "providers" | "plugins">;
  /** Plugins applied before the cache (e.g. auth, limits). */
  before?: readonly Plugin[];
  /** Plugins applied after it. */
  after?: readonly Plugin[];
  providers?: readonly Provider[];
}

/** Mock models: chat ones, and an embedding one, all priced so cost accounting has something to count. */
const price = { inputPerMillion: 1, outputPerMillion: 2 };

export async function startCacheStack(options: CacheStackOptions = {}): Promise<CacheStack> {
  const upstream = await createMockUpstream({ record: false, ...options.upstream });
  const cache = createCachePlugin(options.cache);
  const gateway = createGateway({
    logger: silentLogger,
    retry: false,
    ...options.gateway,
    providers: [
      createOpenAIProvider({
        name: "up",
        baseURL: `${upstream.url}/v1`,
        models: [
          { id: "mock-1", operations: ["chat", "completions"], price },
          { id: "mock-2", operations: ["chat"], price },
          { id: "embed-1", operations: ["embeddings"], price: { inputPerMillion: 0.1, outputPerMillion: 0 } },
        ],
      }),
      ...(options.providers ?? []),
    ],
    plugins: [...(options.before ?? []), cache, ...(options.after ?? [])],
  });
  return {
    upstream,
    gateway,
    cache,
    async close() {
      await gateway.close({ graceMs: 0 });
      await upstream.close();
    },
  };
}

/** The outcome of one exchange driven through `gateway.handle()` (no HTTP adapter). */
export interface Exchange {
  status: number;
  headers: Readonly<Record<string, string>>;
  text: string;
}

/** POSTs a JSON body to `path` through `gateway.handle()` and reads the whole answer (streams included). */
export async function exchange(
  gateway: Gateway,
  body: unknown,
  options: { path?: string; signal?: AbortSignal; headers?: Record<string, string> } = {},
): Promise<Exchange> {
  const response = await gateway.handle({
    method: "POST",
    path: options.path ?? "/v1/chat/completions",
    headers: { "content-type": "application/json", ...options.headers },
    body: JSON.stringify(body),
    signal: options.signal ?? new AbortController().signal,
  });
  let text = "";
  const payload = response.body;
  if (typeof payload === "string") text = payload;
  else if (payload instanceof Uint8Array) text = Buffer.from(payload).toString();
  else if (payload) for await (const chunk of payload) text += Buffer.from(chunk).toString();
  return { status: response.status, headers: response.headers, text };
}

/** `data:` payloads of an SSE text. */
export function sseData(text: string): string[] {
  return text
    .split("\n\n")
    .filter((event) => event.trim() !== "")
    .map((event) =>
      event
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n"),
    );
}

let counter = 0;

/** A chat request with a prompt no other test uses (the mock model answers it deterministically). */
export function chat(extra: Record<string, unknown> = {}, prompt?: string) {
  counter++;
  return {
    model: "mock-1",
    messages: [{ role: "user", content: prompt ?? `Which platform for the night train, #${counter}?` }],
    ...extra,
  };
}

/**
 * Counts client requests reaching `respond` (before the cache looks at them), and can hold a request that
 * got past the cache (a leader) until a number of them have arrived: coalescing tests then do not depend
 * on timing. Tap before the gateway starts.
 */
export function arrivals(gateway: Gateway) {
  let count = 0;
  let holdUntil = 0;
  const until = async (expected: number) => {
    while (count < expected) await new Promise((resolve) => setTimeout(resolve, 2));
    // Let the last arrivals get from this tap into the cache's.
    await new Promise((resolve) => setTimeout(resolve, 20));
  };
  gateway.hooks.respond.tapPromise({ name: "test-arrivals", stage: -1_000 }, async (context) => {
    if (!isInternalRequest(context)) count++;
    return undefined;
  });
  gateway.hooks.respond.tapPromise({ name: "test-hold", stage: 1_000 }, async (context) => {
    if (holdUntil > 0 && !isInternalRequest(context)) await until(holdUntil);
    return undefined;
  });
  return {
    get count() {
      return count;
    },
    until,
    /** Starts counting afresh. */
    reset() {
      count = 0;
    },
    /** From now on, hold requests that get past the cache until `expected` requests arrived in all. */
    hold(expected: number) {
      count = 0;
      holdUntil = expected;
    },
  };
}
