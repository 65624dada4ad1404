import {
  type Attributes,
  type Counter,
  createNoopMeter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  type ObservableGauge,
  type ObservableUpDownCounter,
  ProxyTracerProvider,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import {
  DURATION_BUCKETS,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_GEN_AI_SERVER_REQUEST_DURATION,
  METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN,
  METRIC_SWITCHYARD_BREAKER_STATE,
  METRIC_SWITCHYARD_BREAKER_TRANSITIONS,
  METRIC_SWITCHYARD_COST,
  METRIC_SWITCHYARD_FALLBACKS,
  METRIC_SWITCHYARD_HEDGES,
  METRIC_SWITCHYARD_RATE_LIMIT_DECISIONS,
  METRIC_SWITCHYARD_REQUESTS,
  METRIC_SWITCHYARD_REQUESTS_ACTIVE,
  METRIC_SWITCHYARD_RETRIES,
  TIME_TO_FIRST_TOKEN_BUCKETS,
  TOKEN_BUCKETS,
} from "./semantic-conventions.js";

/** The instrumentation scope every Switchyard span and metric is recorded under. */
export const INSTRUMENTATION_SCOPE = "@switchyard/core";

// A proxy with no delegate answers with the API's no-op provider: that is how "no SDK" is recognised.
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();
const NoopMeter = createNoopMeter().constructor;

/**
 * The tracer, or `undefined` while no SDK is registered. Looked up per request (an identity check), so an
 * SDK started after the gateway is picked up, and the no-SDK path allocates nothing.
 */
export class TracerHandle {
  private delegate: unknown;
  private tracer: Tracer | undefined;

  current(): Tracer | undefined {
    const provider = trace.getTracerProvider();
    const delegate = provider instanceof ProxyTracerProvider ? provider.getDelegate() : provider;
    if (delegate !== this.delegate) {
      this.delegate = delegate;
      this.tracer = delegate === NOOP_TRACER_PROVIDER ? undefined : provider.getTracer(INSTRUMENTATION_SCOPE);
    }
    return this.tracer;
  }
}

/** Every instrument the telemetry plugin records to. */
export interface GatewayInstruments {
  readonly tokenUsage: Histogram;
  readonly clientOperationDuration: Histogram;
  readonly serverRequestDuration: Histogram;
  readonly timeToFirstToken: Histogram;
  readonly requests: Counter;
  readonly requestsActive: ObservableUpDownCounter;
  readonly retries: Counter;
  readonly fallbacks: Counter;
  readonly hedges: Counter;
  readonly cost: Counter;
  readonly rateLimitDecisions: Counter;
  readonly breakerState: ObservableGauge;
  readonly breakerTransitions: Counter;
}

function createInstruments(meter: Meter): GatewayInstruments {
  return {
    tokenUsage: meter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
      description: "Number of input and output tokens used.",
      unit: "{token}",
      advice: { explicitBucketBoundaries: [...TOKEN_BUCKETS] },
    }),
    clientOperationDuration: meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
      description: "GenAI operation duration: one upstream attempt.",
      unit: "s",
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
    }),
    serverRequestDuration: meter.createHistogram(METRIC_GEN_AI_SERVER_REQUEST_DURATION, {
      description: "Gateway request duration, until the last byte.",
      unit: "s",
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
    }),
    timeToFirstToken: meter.createHistogram(METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN, {
      description: "Time from a streamed request's arrival to its first event sent to the client.",
      unit: "s",
      advice: { explicitBucketBoundaries: [...TIME_TO_FIRST_TOKEN_BUCKETS] },
    }),
    requests: meter.createCounter(METRIC_SWITCHYARD_REQUESTS, {
      description: "Requests finished.",
      unit: "{request}",
    }),
    requestsActive: meter.createObservableUpDownCounter(METRIC_SWITCHYARD_REQUESTS_ACTIVE, {
      description: "Requests and streams in flight.",
      unit: "{request}",
    }),
    retries: meter.createCounter(METRIC_SWITCHYARD_RETRIES, {
      description: "Failed attempts retried on the same target.",
      unit: "{retry}",
    }),
    fallbacks: meter.createCounter(METRIC_SWITCHYARD_FALLBACKS, {
      description: "Failed attempts followed by the route's next target.",
      unit: "{fallback}",
    }),
    hedges: meter.createCounter(METRIC_SWITCHYARD_HEDGES, {
      description: "Hedged second attempts started.",
      unit: "{hedge}",
    }),
    cost: meter.createCounter(METRIC_SWITCHYARD_COST, {
      description: "Cost of usage in USD (models with a price).",
      unit: "{USD}",
    }),
    rateLimitDecisions: meter.createCounter(METRIC_SWITCHYARD_RATE_LIMIT_DECISIONS, {
      description: "Rate-limit decisions, by limit and outcome.",
      unit: "{decision}",
    }),
    breakerState: meter.createObservableGauge(METRIC_SWITCHYARD_BREAKER_STATE, {
      description: "Circuit breaker state per endpoint: 0 closed, 1 half-open, 2 open.",
      unit: "1",
    }),
    breakerTransitions: meter.createCounter(METRIC_SWITCHYARD_BREAKER_TRANSITIONS, {
      description: "Circuit breaker state changes, by the new state.",
      unit: "{transition}",
    }),
  };
}

/** What the observable instruments read at collection time. */
export interface ObservedValues {
  /** Requests in flight, or `undefined` when the gateway is gone. */
  inFlight(): number | undefined;
  /** Breaker states to report: [attributes, 0 | 1 | 2]. */
  breakers(): Iterable<readonly [Attributes, number]>;
}

/**
 * The instruments, or `undefined` while no SDK meter provider is registered. The metrics API has no
 * proxy (a meter taken before the SDK starts stays a no-op), so instruments are (re)created whenever the
 * global provider changes; the check is one identity comparison.
 */
export class MeterHandle {
  private provider: MeterProvider | undefined;
  private instruments: GatewayInstruments | undefined;

  constructor(private readonly observed: ObservedValues) {}

  current(): GatewayInstruments | undefined {
    const provider = metrics.getMeterProvider();
    if (provider !== this.provider) {
      this.provider = provider;
      const meter = provider.getMeter(INSTRUMENTATION_SCOPE);
      this.instruments = meter instanceof NoopMeter ? undefined : createInstruments(meter);
      if (this.instruments) this.observe(this.instruments);
    }
    return this.instruments;
  }

  private observe(instruments: GatewayInstruments): void {
    const { observed } = this;
    instruments.requestsActive.addCallback((result) => {
      const inFlight = observed.inFlight();
      if (inFlight !== undefined) result.observe(inFlight);
    });
    instruments.breakerState.addCallback((result) => {
      for (const [attributes, value] of observed.breakers()) result.observe(value, attributes);
    });
  }
}
