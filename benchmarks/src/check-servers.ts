/**
 * Checks, before measuring, that both servers answer correctly and alike: status 200, the right content
 * type, a complete body (a JSON completion, or an SSE stream ending in `[DONE]` with usage), and the same
 * generated text from both (the mock model is deterministic). A fast error page must never be benchmarked.
 */

import { type BenchContext, loadgenTask, type ServerKind } from "./bench-context.js";
import type { ScenarioName } from "./bench-options.js";
import type { ProbeResult } from "./probe-request.js";
import { chatRequest, type HttpRequestSpec } from "./scenarios.js";

function generatedText(scenario: ScenarioName, result: ProbeResult, server: string): string {
  const fail = (why: string) =>
    new Error(`${server} answered the ${scenario} probe wrongly (${why}): ${result.text.slice(0, 300)}`);
  if (result.status !== 200) throw fail(`status ${result.status}`);
  if (scenario === "non-streaming") {
    if (!result.contentType?.startsWith("application/json")) throw fail(`content-type ${result.contentType}`);
    const body = JSON.parse(result.text) as { choices?: Array<{ message?: { content?: string } }> };
    const content = body.choices?.[0]?.message?.content;
    if (typeof content !== "string" || content === "") throw fail("no choices[0].message.content");
    return content;
  }
  if (!result.contentType?.startsWith("text/event-stream")) throw fail(`content-type ${result.contentType}`);
  if (!/data: \[DONE\]\s*$/.test(result.text)) throw fail("no final data: [DONE]");
  if (!result.text.includes('"usage":{')) throw fail("no usage chunk");
  let text = "";
  for (const line of result.text.split("\n")) {
    if (!line.startsWith("data: {")) continue;
    const chunk = JSON.parse(line.slice(6)) as { choices?: Array<{ delta?: { content?: string } }> };
    text += chunk.choices?.[0]?.delta?.content ?? "";
  }
  if (text === "") throw fail("no content deltas");
  return text;
}

/**
 * Probes every server with every scenario's request and throws when one answers wrongly or differently.
 *
 * @param servers - Base URLs of the servers under test.
 * @param request - Builds the request of a scenario (defaults to the benchmark's chat request).
 */
export async function checkServers(
  context: BenchContext,
  servers: Readonly<Partial<Record<ServerKind, string>>>,
  scenarios: readonly ScenarioName[],
  request: (scenario: ScenarioName) => HttpRequestSpec = (scenario) => chatRequest(scenario),
): Promise<void> {
  for (const scenario of scenarios) {
    const texts = new Map<string, string>();
    for (const [name, url] of Object.entries(servers)) {
      if (url === undefined) continue;
      const result = await loadgenTask<ProbeResult>(
        context,
        { kind: "probe", url, request: request(scenario) },
        15_000,
      );
      texts.set(name, generatedText(scenario, result, name));
    }
    if (new Set(texts.values()).size > 1) {
      throw new Error(
        `the servers generated different text for the ${scenario} probe: ${JSON.stringify([...texts])}`,
      );
    }
  }
}
