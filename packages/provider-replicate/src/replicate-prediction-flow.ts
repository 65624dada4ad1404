import { setTimeout as sleep } from "node:timers/promises";
import {
  type Endpoint,
  type ProviderCall,
  type ProviderHttp,
  parseRetryAfter,
  SseReader,
  SwitchyardError,
  type UpstreamAnswer,
  type UpstreamRequest,
} from "@switchyard/core";
import { composedAnswer } from "./replicate-answer.js";
import {
  type Prediction,
  replicateStreamEvents,
  syntheticEvents,
  terminalStatuses,
} from "./replicate-api.js";
import { parseReplicateError, predictionError } from "./replicate-error.js";
import { outputText, readPrediction } from "./replicate-response.js";

/** How the provider waits for and reads predictions. */
export interface PredictionFlowSettings {
  readonly name: string;
  /** `Prefer: wait=n` on non-streamed creates (1-60); 0 sends no `Prefer` and polls from the start. */
  readonly waitSeconds: number;
  /** First pause between polls; doubles up to `maxPollIntervalMs`. */
  readonly pollIntervalMs: number;
  readonly maxPollIntervalMs: number;
  /** Longest the provider polls a prediction before canceling it and failing. */
  readonly pollTimeoutMs: number;
}

const encoder = new TextEncoder();
const CANCEL_TIMEOUT_MS = 5_000;
// After `done`, the prediction's final state (metrics) may lag a moment behind the stream.
const FINAL_READ_DELAYS_MS = [0, 100, 250, 500];

/** An SSE event as bytes; multi-line data becomes several `data:` lines, as Replicate sends it. */
export function sseEvent(event: string, data: string): Uint8Array {
  const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}`);
  return encoder.encode(`event: ${event}\n${lines.join("\n")}\n\n`);
}

/**
 * Runs one prediction to an answer the gateway can read:
 * - not streamed: create (with `Prefer: wait=n`), poll `urls.get` until the prediction ends, answer with the
 *   finished prediction (JSON);
 * - streamed: create, then relay `urls.stream`, opened with the created prediction and closed with the
 *   finished one (synthetic events the translator reads); a model without a stream URL is polled and its
 *   output sent as one `output` event.
 * A non-2xx answer from Replicate is returned as it is (the gateway maps it with `parseError`). Once the
 * prediction exists, any way this call ends early (client gone, hedge lost, poll timeout, failure) cancels
 * it, best-effort.
 */
export async function runPrediction(
  create: UpstreamRequest,
  streamed: boolean,
  call: ProviderCall,
  http: ProviderHttp,
  settings: PredictionFlowSettings,
): Promise<UpstreamAnswer> {
  const name = settings.name;
  const headers =
    !streamed && settings.waitSeconds > 0
      ? { ...create.headers, prefer: `wait=${settings.waitSeconds}` }
      : create.headers;
  const created = await http.send({ ...create, headers });
  if (created.status >= 400) return created;
  const prediction = readPrediction(await readJson(created, name), name);
  const input =
    prediction.input ?? (JSON.parse(create.body ?? "{}") as { input?: Record<string, unknown> }).input;
  const withInput = (value: Prediction): Prediction => (value.input ? value : { ...value, input });
  const canceler = createCanceler(prediction, call.endpoint);
  try {
    if (streamed && prediction.urls?.stream && !terminalStatuses.has(prediction.status)) {
      const stream = await http.send(
        { method: "GET", path: "", headers: { accept: "text/event-stream", "cache-control": "no-store" } },
        prediction.urls.stream,
      );
      if (stream.status >= 400) {
        canceler.cancel();
        return stream;
      }
      return relayStream(withInput(prediction), stream, call, http, canceler, withInput);
    }
    const finished = terminalStatuses.has(prediction.status)
      ? prediction
      : await poll(prediction, call, http, settings, canceler);
    const answerHeaders = { "x-request-id": finished.id };
    if (!streamed) {
      return composedAnswer(
        200,
        { ...answerHeaders, "content-type": "application/json" },
        JSON.stringify(withInput(finished)),
      );
    }
    // A model that cannot stream: its whole output as one event, framed like a real stream. Nothing has
    // reached the client yet, so a prediction that did not succeed is an ordinary (HTTP) error.
    if (finished.status !== "succeeded") throw predictionError(finished, name);
    const text = outputText(finished.output, name);
    const events = [
      sseEvent(syntheticEvents.started, JSON.stringify(withInput(prediction))),
      ...(text === "" ? [] : [sseEvent(replicateStreamEvents.output, text)]),
      sseEvent(replicateStreamEvents.done, "{}"),
      sseEvent(syntheticEvents.finished, JSON.stringify(withInput(finished))),
    ];
    return composedAnswer(200, { ...answerHeaders, "content-type": "text/event-stream" }, fromArray(events));
  } catch (error) {
    canceler.cancel();
    throw error;
  }
}

async function poll(
  start: Prediction,
  call: ProviderCall,
  http: ProviderHttp,
  settings: PredictionFlowSettings,
  canceler: Canceler,
): Promise<Prediction> {
  const name = settings.name;
  const url = start.urls?.get ?? predictionUrl(call.endpoint, start.id);
  const deadline = Date.now() + settings.pollTimeoutMs;
  let interval = settings.pollIntervalMs;
  let current = start;
  while (!terminalStatuses.has(current.status)) {
    const left = deadline - Date.now();
    if (left <= 0) {
      canceler.cancel();
      throw new SwitchyardError(
        "SWY_ERR_UPSTREAM_TIMEOUT_TOTAL",
        `${name}: the prediction ${start.id} did not finish within ${settings.pollTimeoutMs} ms; it was canceled.`,
      );
    }
    await pause(Math.min(interval, left), call.context.signal);
    const answer = await http.send({ method: "GET", path: "", headers: {} }, url);
    if (answer.status === 429) {
      // Polls have their own rate limit: wait as told (within the deadline) and poll again.
      await answer.body.text().catch(() => "");
      interval = Math.max(interval, parseRetryAfter(answer.headers) ?? interval);
      continue;
    }
    if (answer.status >= 400) {
      const body = await answer.body.text().catch(() => "");
      throw parseReplicateError(
        { status: answer.status, headers: answer.headers, body: body.slice(0, 65_536) },
        name,
      );
    }
    current = readPrediction(await readJson(answer, name), name);
    interval = Math.min(interval * 2, settings.maxPollIntervalMs);
  }
  return current;
}

function relayStream(
  prediction: Prediction,
  stream: UpstreamAnswer,
  call: ProviderCall,
  http: ProviderHttp,
  canceler: Canceler,
  withInput: (value: Prediction) => Prediction,
): UpstreamAnswer {
  // `ended`: the prediction reached its end (done or error), so there is nothing left to cancel.
  let ended = false;
  let done = false;
  async function* body(): AsyncGenerator<Uint8Array> {
    yield sseEvent(syntheticEvents.started, JSON.stringify(prediction));
    const reader = new SseReader();
    const see = (events: ReturnType<SseReader["push"]>) => {
      for (const event of events) {
        if (event.event === replicateStreamEvents.done) done = true;
        if (done || event.event === replicateStreamEvents.error) ended = true;
      }
    };
    for await (const bytes of stream.body) {
      see(reader.push(bytes as Uint8Array));
      yield bytes as Uint8Array;
    }
    see(reader.end());
    // A stream that stopped without `done` is cut (or failed): nothing is added; the translator reports it.
    if (!done) return;
    const finished = await readFinal(prediction, call, http);
    // Replicate's stream may end without a blank line after `done`; keep the added event separate.
    yield encoder.encode("\n\n");
    yield sseEvent(syntheticEvents.finished, finished ? JSON.stringify(withInput(finished)) : "{}");
  }
  return composedAnswer(
    200,
    { "content-type": "text/event-stream", "x-request-id": prediction.id },
    body(),
    () => {
      if (!stream.body.destroyed) stream.body.destroy();
      // Torn down before the prediction ended (client gone, hedge lost, cut): stop paying for it.
      if (!ended) canceler.cancel();
    },
  );
}

/** The finished prediction after `done`, or undefined when it cannot be read (usage is then estimated). */
async function readFinal(
  prediction: Prediction,
  call: ProviderCall,
  http: ProviderHttp,
): Promise<Prediction | undefined> {
  const url = prediction.urls?.get ?? predictionUrl(call.endpoint, prediction.id);
  for (const delay of FINAL_READ_DELAYS_MS) {
    try {
      if (delay > 0) await pause(delay, call.context.signal);
      const answer = await http.send({ method: "GET", path: "", headers: {} }, url);
      if (answer.status >= 400) {
        await answer.body.text().catch(() => "");
        return undefined;
      }
      const current = predictionOrUndefined(await answer.body.json().catch(() => undefined));
      if (current === undefined) return undefined;
      if (terminalStatuses.has(current.status)) return current;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function predictionOrUndefined(value: unknown): Prediction | undefined {
  try {
    return readPrediction(value, "");
  } catch {
    return undefined;
  }
}

interface Canceler {
  cancel(): void;
}

/**
 * Cancels a prediction once, best-effort. It goes out with plain `fetch`, not the gateway's transport:
 * the transport ties every request to the attempt's abort signal, which is already aborted when a client
 * leaves — the very moment a cancel is needed.
 */
function createCanceler(prediction: Prediction, endpoint: Endpoint): Canceler {
  let sent = false;
  return {
    cancel() {
      if (sent || terminalStatuses.has(prediction.status)) return;
      sent = true;
      const url = prediction.urls?.cancel ?? `${predictionUrl(endpoint, prediction.id)}/cancel`;
      fetch(url, {
        method: "POST",
        headers: { ...endpoint.headers },
        signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS),
      })
        .then((response) => response.body?.cancel())
        // Best-effort: a prediction that cannot be canceled runs to its end (and is billed); nothing to do.
        .catch(() => {});
    },
  };
}

function predictionUrl(endpoint: Endpoint, id: string): string {
  return `${endpoint.origin}${endpoint.basePath}/predictions/${encodeURIComponent(id)}`;
}

async function readJson(answer: UpstreamAnswer, name: string): Promise<unknown> {
  const text = await answer.body.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new SwitchyardError("SWY_ERR_UPSTREAM_INVALID_RESPONSE", `${name}: the answer is not valid JSON.`);
  }
}

async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
  } catch {
    throw new SwitchyardError("SWY_ERR_CLIENT_CLOSED", "The client closed the request.");
  }
}

async function* fromArray(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* parts;
}
