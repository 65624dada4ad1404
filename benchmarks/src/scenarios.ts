/**
 * The requests the benchmark sends. Both servers under test get byte-identical requests. Streaming requests
 * ask for usage themselves (`stream_options.include_usage`), because the gateway asks the upstream for it
 * anyway: that way the upstream sends the same bytes whichever server is in front of it.
 */
import type { ScenarioName } from "./bench-options.js";

/** The one API key the gateway accepts (the proxy forwards it; the mock upstream ignores it). */
export const BENCH_API_KEY = "sk-switchyard-bench-0000000000000001";

/** The model every request names; the mock upstream serves it. */
export const BENCH_MODEL = "mock-1";

/** A request as the load generator sends it. */
export interface HttpRequestSpec {
  readonly method: "POST";
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * A chat completion request.
 *
 * @param scenario - Streamed or not.
 * @param maxTokens - Caps the mock's reply (its length otherwise is the upstream's `replyTokens`).
 */
export function chatRequest(scenario: ScenarioName, maxTokens?: number): HttpRequestSpec {
  const body: Record<string, unknown> = {
    model: BENCH_MODEL,
    messages: [
      { role: "system", content: "You are a concise assistant." },
      { role: "user", content: "Describe what an API gateway does, in one sentence." },
    ],
  };
  if (maxTokens !== undefined) body.max_tokens = maxTokens;
  if (scenario === "streaming") {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return {
    method: "POST",
    path: "/v1/chat/completions",
    headers: { "content-type": "application/json", authorization: `Bearer ${BENCH_API_KEY}` },
    body: JSON.stringify(body),
  };
}
