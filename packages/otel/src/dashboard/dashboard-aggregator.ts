import type {
  AttemptRecord,
  CircuitState,
  Endpoint,
  Gateway,
  GatewayEvents,
  LimitDecision,
  RequestContext,
  RetryDecision,
  SwitchyardError,
} from "@switchyard/core";
import { type Percentiles, RecentSamples, SecondCounter } from "./rolling-window.js";

/** Options of the dashboard aggregator. */
export interface DashboardAggregatorOptions {
  /** The rolling window of rates and percentiles, in seconds. @default 60 */
  windowSeconds?: number;
  /** Rows kept per table (models, principals, providers); later names are counted under `(other)`. @default 200 */
  maxRows?: number;
  /** The clock, for tests. @default Date.now */
  now?: () => number;
}

/** Totals for one model or one principal since the gateway started. */
export interface UsageRow {
  readonly name: string;
  readonly requests: number;
  readonly errors: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** USD, for models with a price. */
  readonly cost: number;
}

/** One provider's upstream attempts. */
export interface ProviderRow {
  readonly name: string;
  readonly attempts: number;
  readonly failures: number;
  /** Failed attempts / attempts over the window; null without attempts in the window. */
  readonly errorRate: number | null;
  readonly retries: number;
  readonly fallbacks: number;
  readonly hedges: number;
}

/** One endpoint's circuit breaker. */
export interface BreakerRow {
  readonly endpoint: string;
  readonly state: CircuitState;
  readonly inFlight: number;
  readonly transitions: number;
}

/** One limit's decisions since start. */
export interface LimitRow {
  readonly limit: string;
  readonly allowed: number;
  readonly denied: number;
}

/** What `/dashboard/data` answers. */
export interface DashboardSnapshot {
  readonly generatedAt: string;
  readonly uptimeSeconds: number;
  readonly windowSeconds: number;
  readonly requests: {
    readonly total: number;
    readonly errors: number;
    readonly inFlight: number;
    /** Requests per second over the last 10 complete seconds. */
    readonly perSecond: number;
    /** Failed requests / requests over the window; null without requests in the window. */
    readonly errorRate: number | null;
    /** Requests finished per second over the window, oldest first. */
    readonly series: readonly number[];
  };
  /** Request latency in ms over the window. */
  readonly latencyMs: Percentiles;
  /** Time to first token of streamed requests in ms over the window. */
  readonly ttftMs: Percentiles;
  readonly models: readonly UsageRow[];
  readonly principals: readonly UsageRow[];
  readonly providers: readonly ProviderRow[];
  readonly breakers: readonly BreakerRow[];
  readonly limits: readonly LimitRow[];
}

const OTHER = "(other)";
const ANONYMOUS = "(anonymous)";
const RATE_SECONDS = 10;

interface MutableUsage {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cost: number;
}

interface ProviderTotals {
  attempts: number;
  failures: number;
  retries: number;
  fallbacks: number;
  hedges: number;
  readonly recentAttempts: SecondCounter;
  readonly recentFailures: SecondCounter;
}

/**
 * Live numbers for the dashboard, computed in process from `gateway.events`: requests per second, latency
 * and time-to-first-token percentiles over a rolling window, tokens and cost per model and per principal,
 * error rates per provider, limiter decisions and breaker states. Memory is bounded (fixed rings, capped
 * tables); work per request is a few map updates.
 */
export class DashboardAggregator {
  private readonly windowSeconds: number;
  private readonly maxRows: number;
  private readonly now: () => number;
  private readonly startedAt: number;
  private total = 0;
  private errors = 0;
  private readonly recentRequests: SecondCounter;
  private readonly recentErrors: SecondCounter;
  private readonly latency = new RecentSamples();
  private readonly ttft = new RecentSamples();
  private readonly models = new Map<string, MutableUsage>();
  private readonly principals = new Map<string, MutableUsage>();
  private readonly providers = new Map<string, ProviderTotals>();
  private readonly limits = new Map<string, { allowed: number; denied: number }>();
  private readonly transitions = new Map<string, number>();
  private readonly listeners: { [Event in keyof GatewayEvents]?: GatewayEvents[Event] };

  constructor(
    private readonly gateway: Gateway,
    options: DashboardAggregatorOptions = {},
  ) {
    this.windowSeconds = options.windowSeconds ?? 60;
    this.maxRows = options.maxRows ?? 200;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.windowSeconds) || this.windowSeconds < 10 || this.windowSeconds > 3600)
      throw new RangeError("windowSeconds must be an integer from 10 to 3600");
    this.startedAt = this.now();
    // One extra slot: the current, partial second.
    this.recentRequests = new SecondCounter(this.windowSeconds + 1);
    this.recentErrors = new SecondCounter(this.windowSeconds + 1);
    this.listeners = {
      "request:end": (context, error) => this.requestEnd(context, error),
      "attempt:end": (context, attempt) => this.attemptEnd(context, attempt),
      "attempt:failed": (context, error, decision) => this.attemptFailed(context, error, decision),
      "attempt:hedged": (_context, attempt) => {
        this.provider(attempt.target.provider.name).hedges++;
      },
      "limit:decision": (_context, decision) => this.limitDecision(decision),
      "breaker:change": (endpoint) => this.breakerChange(endpoint),
    };
    for (const [event, listener] of Object.entries(this.listeners))
      gateway.events.on(event as keyof GatewayEvents, listener as never);
  }

  /** Stops listening to the gateway. */
  close(): void {
    for (const [event, listener] of Object.entries(this.listeners))
      this.gateway.events.off(event as keyof GatewayEvents, listener as never);
  }

  /** The numbers now. */
  snapshot(): DashboardSnapshot {
    const now = this.now();
    const windowMs = this.windowSeconds * 1000;
    // Complete seconds only: the current one is still filling.
    const series = this.recentRequests.series(now).slice(0, -1);
    // Rates of failure include the current second, so a failure shows at once.
    const windowRequests = this.recentRequests.total(now);
    const windowErrors = this.recentErrors.total(now);
    return {
      generatedAt: new Date(now).toISOString(),
      uptimeSeconds: Math.round((now - this.startedAt) / 1000),
      windowSeconds: this.windowSeconds,
      requests: {
        total: this.total,
        errors: this.errors,
        inFlight: this.gateway.inFlight,
        perSecond: this.recentRequests.sum(now, RATE_SECONDS) / RATE_SECONDS,
        errorRate: windowRequests === 0 ? null : windowErrors / windowRequests,
        series,
      },
      latencyMs: this.latency.percentiles(now, windowMs),
      ttftMs: this.ttft.percentiles(now, windowMs),
      models: usageRows(this.models),
      principals: usageRows(this.principals),
      providers: [...this.providers.entries()]
        .map(([name, totals]) => {
          const attempts = totals.recentAttempts.total(now);
          return {
            name,
            attempts: totals.attempts,
            failures: totals.failures,
            errorRate: attempts === 0 ? null : totals.recentFailures.total(now) / attempts,
            retries: totals.retries,
            fallbacks: totals.fallbacks,
            hedges: totals.hedges,
          };
        })
        .sort((a, b) => b.attempts - a.attempts),
      breakers: this.breakerRows(),
      limits: [...this.limits.entries()]
        .map(([limit, counts]) => ({ limit, ...counts }))
        .sort((a, b) => a.limit.localeCompare(b.limit)),
    };
  }

  private requestEnd(context: RequestContext, error: SwitchyardError | undefined): void {
    const now = this.now();
    // Failures on the client's side (it left) are not the gateway's errors.
    const failed = error !== undefined && error.code !== "SWY_ERR_CLIENT_CLOSED";
    this.total++;
    this.recentRequests.add(now);
    if (failed) {
      this.errors++;
      this.recentErrors.add(now);
    }
    if (context.timings.endMs !== undefined) this.latency.add(now, context.timings.endMs);
    if (context.stream && context.timings.firstByteMs !== undefined)
      this.ttft.add(now, context.timings.firstByteMs);
    const last = context.attempts.at(-1);
    // Only served models become rows: a client cannot add rows by inventing model names.
    const model = last ? `${last.target.provider.name}/${last.target.model}` : undefined;
    const principal = context.principal?.id ?? ANONYMOUS;
    for (const row of [
      model === undefined ? undefined : this.row(this.models, model),
      this.row(this.principals, principal),
    ]) {
      if (!row) continue;
      row.requests++;
      if (failed) row.errors++;
      if (context.usage) {
        row.inputTokens += context.usage.prompt_tokens;
        row.outputTokens += context.operation === "embeddings" ? 0 : (context.usage.completion_tokens ?? 0);
      }
      if (context.cost !== undefined) row.cost += context.cost;
    }
  }

  private attemptEnd(_context: RequestContext, attempt: AttemptRecord): void {
    const now = this.now();
    const totals = this.provider(attempt.target.provider.name);
    totals.attempts++;
    totals.recentAttempts.add(now);
    if (attempt.error && attempt.error.code !== "SWY_ERR_CLIENT_CLOSED") {
      totals.failures++;
      totals.recentFailures.add(now);
    }
  }

  private attemptFailed(context: RequestContext, error: SwitchyardError, decision: RetryDecision): void {
    if (decision.action === "fail") return;
    const attempt =
      context.attempts.findLast((candidate) => candidate.error === error) ?? context.attempts.at(-1);
    if (!attempt) return;
    const totals = this.provider(attempt.target.provider.name);
    if (decision.action === "retry") totals.retries++;
    else {
      const targets = context.route?.targets ?? [];
      const index = targets.indexOf(attempt.target);
      if (index !== -1 && index + 1 < targets.length) totals.fallbacks++;
    }
  }

  private limitDecision(decision: LimitDecision): void {
    const name = this.limits.has(decision.limit) || this.limits.size < this.maxRows ? decision.limit : OTHER;
    let counts = this.limits.get(name);
    if (!counts) {
      counts = { allowed: 0, denied: 0 };
      this.limits.set(name, counts);
    }
    if (decision.allowed) counts.allowed++;
    else counts.denied++;
  }

  private breakerChange(endpoint: Endpoint): void {
    this.transitions.set(endpoint.id, (this.transitions.get(endpoint.id) ?? 0) + 1);
  }

  private breakerRows(): BreakerRow[] {
    const rows: BreakerRow[] = [];
    for (const [endpoint, stats] of this.gateway.endpointStats.entries()) {
      rows.push({
        endpoint: endpoint.id,
        state: stats.breaker?.state ?? "closed",
        inFlight: stats.inFlight,
        transitions: this.transitions.get(endpoint.id) ?? 0,
      });
    }
    return rows.sort((a, b) => a.endpoint.localeCompare(b.endpoint));
  }

  private provider(name: string): ProviderTotals {
    const key = this.providers.has(name) || this.providers.size < this.maxRows ? name : OTHER;
    let totals = this.providers.get(key);
    if (!totals) {
      totals = {
        attempts: 0,
        failures: 0,
        retries: 0,
        fallbacks: 0,
        hedges: 0,
        recentAttempts: new SecondCounter(this.windowSeconds + 1),
        recentFailures: new SecondCounter(this.windowSeconds + 1),
      };
      this.providers.set(key, totals);
    }
    return totals;
  }

  private row(table: Map<string, MutableUsage>, name: string): MutableUsage {
    const key = table.has(name) || table.size < this.maxRows ? name : OTHER;
    let row = table.get(key);
    if (!row) {
      row = { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cost: 0 };
      table.set(key, row);
    }
    return row;
  }
}

function usageRows(table: Map<string, MutableUsage>): UsageRow[] {
  return [...table.entries()]
    .map(([name, row]) => ({ name, ...row }))
    .sort((a, b) => b.requests - a.requests || a.name.localeCompare(b.name));
}
