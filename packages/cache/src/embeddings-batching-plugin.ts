import { type Counter, type Histogram, type Meter, metrics } from "@opentelemetry/api";
import {
  type EmbeddingRequest,
  type Gateway,
  type GatewayHttpResponse,
  HookStage,
  type Logger,
  type Plugin,
  parseOptions,
  priceOf,
  type RequestContext,
  type Usage,
} from "@switchyard/core";
import { z } from "zod";
import { canonicalJson } from "./cache-key.js";
import {
  DEFAULT_FORWARDED_HEADERS,
  forwardedHeaders,
  internalRequestPurpose,
  isInternalRequest,
} from "./cache-outcome.js";
import { readAll, untilAborted } from "./internal-util.js";

const PLUGIN_NAME = "switchyard:embeddings-batching";
const PURPOSE_PREFIX = "embeddings-batch:";

/** Response header on a batched embeddings answer: how many inputs the upstream request carried. */
export const EMBEDDINGS_BATCH_HEADER = "x-switchyard-embeddings-batch";

/** Metric names, kept as local constants (OpenTelemetry style). */
export const EMBEDDINGS_BATCHING_METRICS = Object.freeze({
  /** Counter: upstream embedding requests sent for a batch of client requests. */
  batches: "switchyard.embeddings.batches",
  /** Histogram: client requests per batch sent. */
  batchRequests: "switchyard.embeddings.batch_requests",
  /** Counter: requests that went upstream on their own after all (alone in their window, or the batch failed). */
  unbatched: "switchyard.embeddings.unbatched",
});

/** Options of {@link createEmbeddingsBatchingPlugin}. */
export interface EmbeddingsBatchingOptions {
  /** How long the first request of a batch waits for others, in ms. @default 5 */
  maxDelayMs?: number;
  /** Most inputs in one upstream request; a full batch is sent at once. @default 64 */
  maxBatchSize?: number;
  /** Batch only these models (as clients name them). @default every model */
  models?: readonly string[];
  /**
   * Request headers copied from the batch's first request to the batch request, so it authenticates as
   * the principal it serves. @default ["authorization", "x-api-key", "api-key"]
   */
  forwardHeaders?: readonly string[];
  /** Where metrics go. @default metrics.getMeter("@switchyard/cache") */
  meter?: Meter;
  /** The `respond` tap's stage: after the cache's (a cache hit is never batched). @default HookStage.DEFAULT (0) */
  stage?: number;
}

/** Counters of the batching plugin since it was created. */
export interface EmbeddingsBatchingStats {
  /** Upstream requests sent for batches. */
  readonly batches: number;
  /** Client requests answered from a batch. */
  readonly batchedRequests: number;
  /** Client requests that went upstream on their own after all. */
  readonly unbatched: number;
}

/** The batching plugin, with its counters. */
export interface EmbeddingsBatchingPlugin extends Plugin {
  stats(): EmbeddingsBatchingStats;
}

const optionsSchema = z
  .object({
    maxDelayMs: z.number().int().nonnegative().max(1_000).default(5),
    maxBatchSize: z.number().int().min(2).max(2_048).default(64),
    models: z.array(z.string()).optional(),
    forwardHeaders: z
      .array(z.string().transform((name) => name.toLowerCase()))
      .default([...DEFAULT_FORWARDED_HEADERS]),
    meter: z
      .custom<Meter>((value) => typeof (value as Meter | undefined)?.createCounter === "function")
      .optional(),
    stage: z.number().int().default(HookStage.DEFAULT),
  })
  .strict();

type Input = string | readonly number[];

/** What a member of a batch is answered with. */
type MemberOutcome =
  | {
      readonly kind: "answer";
      readonly body: string;
      readonly usage: Usage;
      readonly cost: number | undefined;
      /** Inputs in the upstream request. */
      readonly batchInputs: number;
    }
  /** Go upstream on your own (alone in the window, or the batch failed). */
  | { readonly kind: "alone" };

interface Member {
  readonly context: RequestContext;
  readonly inputs: readonly Input[];
  /** Share of the batch's usage: the size of its inputs (characters, or tokens for token arrays). */
  readonly weight: number;
  readonly settle: (outcome: MemberOutcome) => void;
}

interface Batch {
  readonly group: string;
  readonly model: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly members: Member[];
  inputs: number;
  timer: NodeJS.Timeout | undefined;
}

/** What the batch request's own finalizeResponse saw (usage and cost before they are moved to the members). */
interface BatchRecord {
  usage: Usage | undefined;
  cost: number | undefined;
}

/**
 * Embeddings micro-batching: embedding requests for the same model (and principal, and parameters) that
 * arrive within `maxDelayMs` of each other are sent upstream as one request, through the gateway itself
 * (routing, retries and limits apply), and its `data` is split back by index. Each request is charged its
 * share of the batch's usage, in proportion to the size of its inputs. See docs/guides/caching.md.
 */
export function createEmbeddingsBatchingPlugin(
  options: EmbeddingsBatchingOptions = {},
): EmbeddingsBatchingPlugin {
  const settings = parseOptions(optionsSchema, options, "embeddings batching");
  const models = settings.models ? new Set(settings.models) : undefined;
  const meter = settings.meter ?? metrics.getMeter("@switchyard/cache");
  const batchesCounter: Counter = meter.createCounter(EMBEDDINGS_BATCHING_METRICS.batches, {
    description: "Upstream embedding requests sent for a batch of client requests.",
  });
  const batchRequests: Histogram = meter.createHistogram(EMBEDDINGS_BATCHING_METRICS.batchRequests, {
    description: "Client requests per embeddings batch.",
  });
  const unbatchedCounter: Counter = meter.createCounter(EMBEDDINGS_BATCHING_METRICS.unbatched, {
    description: "Embedding requests that went upstream on their own.",
  });
  const counts = { batches: 0, batchedRequests: 0, unbatched: 0 };
  const open = new Map<string, Batch>();
  const records = new Map<number, BatchRecord>();
  let nextBatchId = 1;
  let gateway: Gateway | undefined;
  let logger: Logger | undefined;

  const alone = (member: Member) => {
    counts.unbatched++;
    unbatchedCounter.add(1);
    member.settle({ kind: "alone" });
  };

  const flush = (batch: Batch) => {
    if (open.get(batch.group) === batch) open.delete(batch.group);
    clearTimeout(batch.timer);
    const live = batch.members.filter((member) => !member.context.signal.aborted);
    if (live.length < 2) {
      // Nothing to share: the request goes its ordinary way, with no internal request in between.
      for (const member of live) alone(member);
      return;
    }
    send(batch, live).catch((error: unknown) => {
      logger?.warn({ err: error }, "embeddings batch failed: its requests go upstream on their own");
      for (const member of live) alone(member);
    });
  };

  const send = async (batch: Batch, members: readonly Member[]) => {
    if (!gateway) throw new Error("the plugin is not applied");
    const id = nextBatchId++;
    const record: BatchRecord = { usage: undefined, cost: undefined };
    records.set(id, record);
    const inputs = members.flatMap((member) => member.inputs);
    // The batch is abandoned only when every client it serves has left.
    const controller = new AbortController();
    let left = 0;
    for (const member of members) {
      member.context.signal.addEventListener(
        "abort",
        () => {
          if (++left === members.length) controller.abort();
        },
        { once: true },
      );
    }
    let response: GatewayHttpResponse;
    let text: string;
    try {
      response = await gateway.handle({
        method: "POST",
        path: "/v1/embeddings",
        headers: forwardedHeaders(
          (members[0] as Member).context,
          settings.forwardHeaders,
          `${PURPOSE_PREFIX}${id}`,
        ),
        body: JSON.stringify({ ...batch.params, model: batch.model, input: inputs }),
        signal: controller.signal,
      });
      text = await readAll(response.body);
    } finally {
      records.delete(id);
    }
    if (response.status !== 200) {
      for (const member of members) alone(member);
      return;
    }
    const parsed = JSON.parse(text) as Record<string, unknown> & { data?: unknown };
    const data = Array.isArray(parsed.data) ? [...(parsed.data as Array<{ index?: unknown }>)] : [];
    data.sort((left, right) => Number(left.index) - Number(right.index));
    if (data.length !== inputs.length || data.some((item, index) => item.index !== index)) {
      throw new Error(`the batch answer has ${data.length} embeddings for ${inputs.length} inputs`);
    }
    const usage = record.usage ?? (parsed.usage as Usage | undefined);
    const weights = members.map((member) => member.weight);
    const promptShares = apportion(usage?.prompt_tokens ?? 0, weights);
    const totalShares = apportion(usage?.total_tokens ?? 0, weights);
    const totalWeight = weights.reduce((sum, weight) => sum + weight, 0);
    const { data: _data, usage: _usage, ...rest } = parsed;
    counts.batches++;
    counts.batchedRequests += members.length;
    batchesCounter.add(1);
    batchRequests.record(members.length);
    let offset = 0;
    members.forEach((member, position) => {
      const slice = data
        .slice(offset, offset + member.inputs.length)
        .map((item, index) => ({ ...item, index }));
      offset += member.inputs.length;
      const share: Usage = {
        prompt_tokens: promptShares[position] ?? 0,
        total_tokens: totalShares[position] ?? 0,
      };
      member.settle({
        kind: "answer",
        body: JSON.stringify({ ...rest, data: slice, usage: share }),
        usage: share,
        cost: record.cost === undefined ? undefined : (record.cost * member.weight) / totalWeight,
        batchInputs: inputs.length,
      });
    });
    return;
  };

  const respond = async (context: RequestContext): Promise<GatewayHttpResponse | undefined> => {
    if (context.operation !== "embeddings" || isInternalRequest(context)) return undefined;
    if (models !== undefined && !models.has(context.model)) return undefined;
    const { input, model, ...params } = context.request as EmbeddingRequest;
    const inputs = inputList(input);
    if (inputs.length === 0 || inputs.length > settings.maxBatchSize) return undefined;
    // Requests share a batch only when everything but their input matches, for one principal: the batch
    // authenticates (and is limited) as that principal.
    const group = canonicalJson({
      principal: context.principal?.id ?? null,
      model,
      params,
      tokens: typeof inputs[0] !== "string",
    });
    let batch = open.get(group);
    if (batch !== undefined && batch.inputs + inputs.length > settings.maxBatchSize) {
      flush(batch);
      batch = undefined;
    }
    if (batch === undefined) {
      const created: Batch = { group, model, params, members: [], inputs: 0, timer: undefined };
      created.timer = setTimeout(() => flush(created), settings.maxDelayMs);
      open.set(group, created);
      batch = created;
    }
    let settle: (outcome: MemberOutcome) => void = () => {};
    const outcome = new Promise<MemberOutcome>((resolve) => {
      settle = resolve;
    });
    const weight = inputs.reduce<number>((sum, item) => sum + Math.max(1, item.length), 0);
    batch.members.push({ context, inputs, weight, settle });
    batch.inputs += inputs.length;
    if (batch.inputs >= settings.maxBatchSize) flush(batch);
    const result = await untilAborted(outcome, context.signal);
    if (result.kind === "alone") return undefined;
    context.usage = result.usage;
    context.cost = result.cost;
    context.responseHeaders[EMBEDDINGS_BATCH_HEADER] = String(result.batchInputs);
    return { status: 200, headers: { "content-type": "application/json" }, body: result.body };
  };

  // The batch request's own answer: note its usage and cost for the members, then report none for it, so a
  // rate limiter or telemetry counts each token once (on the requests it served).
  const finalizeBatch = (response: GatewayHttpResponse, context: RequestContext): GatewayHttpResponse => {
    const purpose = internalRequestPurpose(context);
    if (purpose === undefined || !purpose.startsWith(PURPOSE_PREFIX)) return response;
    const record = records.get(Number(purpose.slice(PURPOSE_PREFIX.length)));
    if (record === undefined || !gateway) return response;
    record.usage = context.usage;
    const target = context.attempts.at(-1)?.target;
    record.cost =
      context.usage && target
        ? priceOf(gateway.modelInfo(target.provider, target.model), context.usage)
        : undefined;
    context.usage = { prompt_tokens: 0, total_tokens: 0 };
    return response;
  };

  return {
    name: PLUGIN_NAME,
    stats: () => ({ ...counts }),
    apply(target: Gateway) {
      gateway = target;
      logger = target.logger;
      target.hooks.respond.tapPromise({ name: PLUGIN_NAME, stage: settings.stage }, respond);
      target.hooks.finalizeResponse.tap({ name: PLUGIN_NAME, stage: HookStage.LATE }, finalizeBatch);
    },
  };
}

/** The inputs of an embeddings request as a list: strings, or token arrays. */
function inputList(input: EmbeddingRequest["input"]): Input[] {
  if (typeof input === "string") return [input];
  if (input.length === 0) return [];
  if (typeof input[0] === "number") return [input as number[]];
  return [...(input as Input[])];
}

/**
 * Splits `total` into whole shares proportional to `weights`, summing exactly to `total` (largest
 * remainder method).
 */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((accumulator, weight) => accumulator + weight, 0);
  if (sum <= 0 || total <= 0) return weights.map(() => 0);
  const exact = weights.map((weight) => (total * weight) / sum);
  const shares = exact.map(Math.floor);
  let remaining = total - shares.reduce((accumulator, share) => accumulator + share, 0);
  const order = exact
    .map((value, index) => ({ index, remainder: value - Math.floor(value) }))
    .sort((left, right) => right.remainder - left.remainder || left.index - right.index);
  for (const { index } of order) {
    if (remaining <= 0) break;
    shares[index] = (shares[index] as number) + 1;
    remaining--;
  }
  return shares;
}
