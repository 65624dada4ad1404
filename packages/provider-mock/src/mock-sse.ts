import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { MockExchange } from "./mock-exchange.js";

/** One server-sent event of a stream, already formatted. */
export interface SseEvent {
  /** The full event text, `data: ...\n\n`. */
  readonly text: string;
  /**
   * True for the first event of each generation step: pacing waits one step interval before it. Role, finish
   * and usage events, and the other choices' events of the same step, go out without waiting.
   */
  readonly paced: boolean;
}

/** The terminating event of every OpenAI stream. */
export const SSE_DONE: SseEvent = Object.freeze({ text: "data: [DONE]\n\n", paced: false });

/**
 * Formats a JSON payload as one server-sent event.
 *
 * @param payload - The chunk object.
 * @param paced - Whether it starts a generation step (see {@link SseEvent.paced}); false when omitted.
 * @returns The event.
 */
export function sseEvent(payload: unknown, paced = false): SseEvent {
  return { text: `data: ${JSON.stringify(payload)}\n\n`, paced };
}

/** How to send an event stream. */
export interface EventStreamPlan {
  /** Events in order, ending with {@link SSE_DONE}. */
  readonly events: readonly SseEvent[];
  /** Headers added to the stream headers. */
  readonly headers?: OutgoingHttpHeaders | undefined;
  /** Wait between generation steps; 0 sends everything as fast as the client reads. */
  readonly stepIntervalMs: number;
  /** Wait after the headers before the first event. */
  readonly firstByteDelayMs: number;
  /** Cut the connection after this many events, without `[DONE]`. */
  readonly cutAfterChunks?: number | undefined;
  /** Insert an event whose data is not JSON after the first event. */
  readonly malformed?: boolean | undefined;
}

/** The garbage event of the `malformed-sse` fault: looks like a chunk, but its data is not JSON. */
export const MALFORMED_SSE_EVENT: SseEvent = Object.freeze({
  text: 'data: {"id":"chatcmpl-mock-malformed","choices":[{"delta":{"content":\n\n',
  paced: false,
});

// Unpaced streams are coalesced into writes of about this size: one write per event costs a syscall and a
// chunked-encoding frame each, which dominates in load benchmarks.
const FLUSH_THRESHOLD = 16 * 1024;

/**
 * Sends an event stream with OpenAI's headers, honouring pacing, backpressure and injected faults. Returns
 * early, with nothing left scheduled, when the client goes away.
 *
 * @param exchange - The exchange of the response.
 * @param response - The response, headers not yet sent.
 * @param plan - What to send and how.
 */
export async function writeEventStream(
  exchange: MockExchange,
  response: ServerResponse,
  plan: EventStreamPlan,
): Promise<void> {
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    ...plan.headers,
  });
  if (plan.firstByteDelayMs > 0) {
    response.flushHeaders();
    if (!(await exchange.delay(plan.firstByteDelayMs))) return;
  }
  let events = plan.events;
  if (plan.malformed) events = [...events.slice(0, 1), MALFORMED_SSE_EVENT, ...events.slice(1)];
  const cut = plan.cutAfterChunks !== undefined;
  if (cut) events = events.slice(0, Math.min(plan.cutAfterChunks ?? 0, events.length - 1));

  const paced = plan.stepIntervalMs > 0;
  const startedAt = performance.now();
  let step = 0;
  let buffer = "";
  for (const event of events) {
    if (paced && event.paced) {
      // Flush before waiting so the previous step reaches the client now, not one interval late.
      if (buffer !== "" && !(await exchange.write(buffer))) return;
      buffer = "";
      step += 1;
      // Scheduling against the start time keeps timer drift from accumulating over long streams.
      if (!(await exchange.delay(startedAt + step * plan.stepIntervalMs - performance.now()))) return;
    }
    buffer += event.text;
    if (buffer.length >= FLUSH_THRESHOLD) {
      if (!(await exchange.write(buffer))) return;
      buffer = "";
    }
  }
  if (!exchange.isOpen) return;
  if (cut) exchange.cut(buffer);
  else response.end(buffer);
}
