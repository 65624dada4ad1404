/**
 * Streaming translation cost of the Anthropic provider: Anthropic SSE bytes -> OpenAI `chat.completion.chunk`
 * SSE bytes, measured the way the gateway's translated stream path runs it (SseReader -> translator ->
 * JSON.stringify -> encodeSseEvent per chunk), against two OpenAI-dialect references over the same answer:
 *
 * - `openai-translator`: the OpenAI provider's stream translator on the same path (what OpenAI streams cost
 *   when a stream transform is tapped and the byte fast path is off);
 * - `parse+stringify`: SseReader, then JSON.parse and JSON.stringify of every event: the floor of any
 *   per-event translation. The byte fast path (`OpenAIStreamPassthrough`, internal to core) does less still.
 *
 * Self-contained: node dist/translation/anthropic-translation-bench.js [--quick] [--json]
 */
import { encodeSseEvent, type SseEvent, SseReader, type StreamTranslator } from "@switchyard/core";
import { createOpenAIStreamTranslator } from "@switchyard/provider-openai";

// Loaded at run time by name so that this file compiles whether or not the benchmarks package lists the
// Anthropic provider yet; the shape below is the part of its API used here.
const ANTHROPIC_PACKAGE: string = "@switchyard/provider-anthropic";
interface AnthropicModule {
  createAnthropicStreamTranslator(options: { providerName: string; responseTool?: string }): StreamTranslator;
}

/** Size of each upstream read: streams arrive in socket reads, several events or part of one at a time. */
const READ_BYTES = 1024;

interface Workload {
  readonly name: string;
  readonly description: string;
  readonly anthropic: Uint8Array;
  readonly openai: Uint8Array;
}

interface PathResult {
  readonly path: string;
  readonly upstreamEvents: number;
  readonly outputChunks: number;
  readonly bytes: number;
  /** Median over rounds. */
  readonly microsPerStream: number;
  /** Best round. */
  readonly bestMicrosPerStream: number;
  readonly eventsPerSecond: number;
  readonly megabytesPerSecond: number;
}

const anthropicEvent = (data: Record<string, unknown>) =>
  `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;

/** A realistic Anthropic stream: the event grammar and field set of recorded streams, `deltas` text deltas. */
function anthropicStream(textDeltas: number, toolCalls: number, argumentDeltas: number): string {
  const words = [
    "The",
    " night",
    " train",
    " leaves",
    " Oslo",
    " at",
    " 23:05",
    ",",
    " arriving",
    " in",
    " Bodø",
    " at",
    " dawn.",
  ];
  let out = anthropicEvent({
    type: "message_start",
    message: {
      model: "claude-sonnet-4-5-20250929",
      id: "msg_01QC4g3HwBThD4BaNtBckFDJ",
      type: "message",
      role: "assistant",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: 1200,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
        output_tokens: 1,
        service_tier: "standard",
      },
    },
  });
  out += anthropicEvent({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
  out += anthropicEvent({ type: "ping" });
  for (let index = 0; index < textDeltas; index++) {
    const text = `${words[index % words.length]}${words[(index + 5) % words.length]}`;
    out += anthropicEvent({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } });
  }
  out += anthropicEvent({ type: "content_block_stop", index: 0 });
  for (let call = 0; call < toolCalls; call++) {
    const index = call + 1;
    out += anthropicEvent({
      type: "content_block_start",
      index,
      content_block: {
        type: "tool_use",
        id: `toolu_01Ni1uw4HXYxUhc4iFMqx7y${call}`,
        name: "find_train",
        input: {},
      },
    });
    out += anthropicEvent({
      type: "content_block_delta",
      index,
      delta: { type: "input_json_delta", partial_json: "" },
    });
    const args = JSON.stringify({
      from: "Oslo",
      to: "Bodø",
      seats: 2,
      notes: "quiet car ".repeat(argumentDeltas),
    });
    const step = Math.max(1, Math.ceil(args.length / argumentDeltas));
    for (let at = 0; at < args.length; at += step) {
      out += anthropicEvent({
        type: "content_block_delta",
        index,
        delta: { type: "input_json_delta", partial_json: args.slice(at, at + step) },
      });
    }
    out += anthropicEvent({ type: "content_block_stop", index });
  }
  out += anthropicEvent({
    type: "message_delta",
    delta: { stop_reason: toolCalls > 0 ? "tool_use" : "end_turn", stop_sequence: null },
    usage: {
      input_tokens: 1200,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: textDeltas * 2,
    },
  });
  out += anthropicEvent({ type: "message_stop" });
  return out;
}

/** The same answer as an OpenAI upstream streams it: the chunks the translation produces, then [DONE]. */
function openaiStream(anthropic: string, module: AnthropicModule): string {
  const translator = module.createAnthropicStreamTranslator({ providerName: "anthropic" });
  let out = "";
  for (const event of new SseReader().push(anthropic)) {
    for (const chunk of translator.push(event)) out += `data: ${JSON.stringify(chunk)}\n\n`;
  }
  return `${out}data: [DONE]\n\n`;
}

/** Runs one stream through a path; returns how many upstream events and output chunks it saw. */
type StreamRun = (bytes: Uint8Array) => { events: number; chunks: number; sink: number };

function translatedPath(createTranslator: () => StreamTranslator): StreamRun {
  return (bytes) => {
    const reader = new SseReader();
    const translator = createTranslator();
    let events = 0;
    let chunks = 0;
    let sink = 0;
    const translate = (event: SseEvent) => {
      events++;
      for (const chunk of translator.push(event)) {
        chunks++;
        sink += encodeSseEvent(JSON.stringify(chunk)).byteLength;
      }
    };
    for (let at = 0; at < bytes.length; at += READ_BYTES) {
      for (const event of reader.push(bytes.subarray(at, at + READ_BYTES))) translate(event);
    }
    for (const event of reader.end()) translate(event);
    if (!translator.done) throw new Error("the translator did not finish the stream");
    return { events, chunks, sink };
  };
}

const parseStringifyPath: StreamRun = (bytes) => {
  const reader = new SseReader();
  let events = 0;
  let chunks = 0;
  let sink = 0;
  const relay = (event: SseEvent) => {
    events++;
    if (event.data === "[DONE]") return;
    chunks++;
    sink += encodeSseEvent(JSON.stringify(JSON.parse(event.data))).byteLength;
  };
  for (let at = 0; at < bytes.length; at += READ_BYTES) {
    for (const event of reader.push(bytes.subarray(at, at + READ_BYTES))) relay(event);
  }
  for (const event of reader.end()) relay(event);
  return { events, chunks, sink };
};

interface PathUnderTest {
  readonly path: string;
  readonly run: StreamRun;
  readonly bytes: Uint8Array;
}

/**
 * Times the paths in turn within each round (A, B, C, A, B, C, ...), so that load from other processes on a
 * shared machine falls on all of them alike; reports the median and the best round of each.
 */
function measure(paths: readonly PathUnderTest[], rounds: number, roundMs: number): PathResult[] {
  const firsts = paths.map((path) => path.run(path.bytes));
  // Warm-up: let the JIT settle on every path before timing.
  for (const path of paths) {
    const warmUntil = performance.now() + roundMs;
    while (performance.now() < warmUntil) path.run(path.bytes);
  }
  const perStream: number[][] = paths.map(() => []);
  let sink = 0;
  for (let round = 0; round < rounds; round++) {
    paths.forEach((path, index) => {
      let streams = 0;
      const started = performance.now();
      let elapsed = 0;
      do {
        sink += path.run(path.bytes).sink;
        streams++;
        elapsed = performance.now() - started;
      } while (elapsed < roundMs);
      perStream[index]?.push((elapsed * 1000) / streams);
    });
  }
  if (sink === 0) throw new Error("nothing was produced");
  return paths.map((path, index) => {
    const samples = perStream[index] as number[];
    const first = firsts[index] as { events: number; chunks: number };
    const micros = median(samples);
    return {
      path: path.path,
      upstreamEvents: first.events,
      outputChunks: first.chunks,
      bytes: path.bytes.byteLength,
      microsPerStream: micros,
      bestMicrosPerStream: Math.min(...samples),
      eventsPerSecond: (first.events / micros) * 1e6,
      megabytesPerSecond: path.bytes.byteLength / micros,
    };
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}

async function loadAnthropic(): Promise<AnthropicModule> {
  try {
    return (await import(ANTHROPIC_PACKAGE)) as AnthropicModule;
  } catch (error) {
    throw new Error(
      `Cannot load ${ANTHROPIC_PACKAGE}: add it to the benchmarks package's devDependencies ("workspace:^") and run pnpm install.`,
      { cause: error },
    );
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const asJson = process.argv.includes("--json");
  const rounds = quick ? 3 : 7;
  const roundMs = quick ? 150 : 500;
  const anthropic = await loadAnthropic();
  const encoder = new TextEncoder();
  const workload = (name: string, description: string, source: string): Workload => ({
    name,
    description,
    anthropic: encoder.encode(source),
    openai: encoder.encode(openaiStream(source, anthropic)),
  });
  const workloads = [
    workload("text", "400 text deltas (a ~800-token answer)", anthropicStream(400, 0, 0)),
    workload("tools", "40 text deltas, then 2 tool calls of 60 argument deltas", anthropicStream(40, 2, 60)),
  ];

  const results: Array<{ workload: string; description: string; paths: PathResult[] }> = [];
  for (const item of workloads) {
    results.push({
      workload: item.name,
      description: item.description,
      paths: measure(
        [
          {
            path: "anthropic-translator",
            run: translatedPath(() =>
              anthropic.createAnthropicStreamTranslator({ providerName: "anthropic" }),
            ),
            bytes: item.anthropic,
          },
          {
            path: "openai-translator",
            run: translatedPath(() => createOpenAIStreamTranslator("openai")),
            bytes: item.openai,
          },
          { path: "parse+stringify", run: parseStringifyPath, bytes: item.openai },
        ],
        rounds,
        roundMs,
      ),
    });
  }

  if (asJson) {
    process.stdout.write(
      `${JSON.stringify({ node: process.version, readBytes: READ_BYTES, results }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(
    `Streaming translation, Node ${process.version}, ${READ_BYTES}-byte reads, ${rounds} interleaved rounds` +
      ` (median; best round in brackets). "x floor" = median time / parse+stringify median time.\n`,
  );
  const columns = (cells: readonly string[]) =>
    `${(cells[0] ?? "").padEnd(22)}${cells
      .slice(1)
      .map((cell, index) => cell.padStart([8, 8, 8, 22, 12, 8, 9][index] ?? 10))
      .join("")}\n`;
  for (const { workload: name, description, paths } of results) {
    process.stdout.write(`\n${name}: ${description}\n`);
    const baseline = paths.find((path) => path.path === "parse+stringify") as PathResult;
    process.stdout.write(
      columns(["path", "events", "chunks", "KiB", "µs/stream [best]", "events/s", "MB/s", "x floor"]),
    );
    for (const path of paths) {
      process.stdout.write(
        columns([
          path.path,
          String(path.upstreamEvents),
          String(path.outputChunks),
          (path.bytes / 1024).toFixed(1),
          `${path.microsPerStream.toFixed(0)} [${path.bestMicrosPerStream.toFixed(0)}]`,
          Math.round(path.eventsPerSecond).toLocaleString("en-US"),
          path.megabytesPerSecond.toFixed(1),
          (path.microsPerStream / baseline.microsPerStream).toFixed(2),
        ]),
      );
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
