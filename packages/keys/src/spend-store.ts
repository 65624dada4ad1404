/** Spend of one key, on one model, on one UTC day. Amounts in integer micro-USD (1 USD = 1,000,000). */
export interface SpendRecord {
  /** UTC day, `YYYY-MM-DD`. */
  readonly day: string;
  /** The principal id: a virtual key's id, or another auth plugin's principal id, or `anonymous`. */
  readonly key: string;
  /** The principal's team, if any. */
  readonly team?: string;
  /** The model that served the request, as `provider/model`. */
  readonly model: string;
  readonly costMicros: number;
  readonly requests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** Which spend to read: an inclusive range of UTC days and optional filters. */
export interface SpendQuery {
  /** First day, `YYYY-MM-DD`. */
  readonly from: string;
  /** Last day, `YYYY-MM-DD` (inclusive). */
  readonly to: string;
  readonly key?: string;
  readonly team?: string;
  readonly model?: string;
}

/**
 * Where spend is counted: per day, key, team and model. `record` adds to the counters (many gateway
 * processes may add to the same ones); `query` reads them back for the admin API.
 */
export interface SpendStore {
  /** Adds one request's spend (usually `requests: 1`) to its day's counters. */
  record(entry: SpendRecord): Promise<void>;
  /** The counters of the days in range that match the filters, one row per day, key, team and model. */
  query(query: SpendQuery): Promise<SpendRecord[]>;
  /** Releases what the store holds. */
  close?(): Promise<void>;
}

/** The most days one query may span: a little over a year. */
export const MAX_QUERY_DAYS = 400;

/** The UTC day of `ms`, `YYYY-MM-DD`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The UTC month of `ms`, `YYYY-MM`. */
export function utcMonth(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** Every UTC day from `from` to `to`, inclusive; throws when the range is invalid or too long. */
export function daysBetween(from: string, to: string): string[] {
  const pattern = /^\d{4}-\d{2}-\d{2}$/;
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (!pattern.test(from) || !pattern.test(to) || Number.isNaN(start) || Number.isNaN(end)) {
    throw new RangeError("from and to must be days written YYYY-MM-DD");
  }
  if (end < start) throw new RangeError("to must not be before from");
  const count = (end - start) / 86_400_000 + 1;
  if (count > MAX_QUERY_DAYS) throw new RangeError(`a query spans at most ${MAX_QUERY_DAYS} days`);
  return Array.from({ length: count }, (_, index) => utcDay(start + index * 86_400_000));
}

/** Whether a row passes a query's filters (not its days). */
export function matchesQuery(row: SpendRecord, query: SpendQuery): boolean {
  return (
    (query.key === undefined || row.key === query.key) &&
    (query.team === undefined || row.team === query.team) &&
    (query.model === undefined || row.model === query.model)
  );
}

/** How spend rows are summed up. */
export type SpendGrouping = "key" | "team" | "model" | "day";

/** One line of a spend summary. */
export interface SpendTotal {
  /** The group's value (`key`, `team`, `model` or `day`); absent for the grand total and team-less rows. */
  readonly group?: string;
  readonly costMicros: number;
  /** `costMicros` in USD. */
  readonly costUsd: number;
  readonly requests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** Sums rows by one dimension (sorted by cost, highest first), or into one total. */
export function summarizeSpend(rows: readonly SpendRecord[], groupBy?: SpendGrouping): SpendTotal[] {
  const totals = new Map<
    string | undefined,
    { costMicros: number; requests: number; input: number; output: number }
  >();
  for (const row of rows) {
    const group = groupBy === undefined ? undefined : row[groupBy];
    const total = totals.get(group) ?? { costMicros: 0, requests: 0, input: 0, output: 0 };
    total.costMicros += row.costMicros;
    total.requests += row.requests;
    total.input += row.inputTokens;
    total.output += row.outputTokens;
    totals.set(group, total);
  }
  if (totals.size === 0 && groupBy === undefined)
    totals.set(undefined, { costMicros: 0, requests: 0, input: 0, output: 0 });
  return [...totals.entries()]
    .map(([group, total]) => ({
      ...(group === undefined ? {} : { group }),
      costMicros: total.costMicros,
      costUsd: total.costMicros / 1_000_000,
      requests: total.requests,
      inputTokens: total.input,
      outputTokens: total.output,
    }))
    .sort((a, b) => b.costMicros - a.costMicros);
}

/**
 * The memory spend store: counters in a Map of this process (each replica counts its own). Days older
 * than `retentionDays` are dropped as new days begin.
 */
export function createMemorySpendStore(options: { retentionDays?: number } = {}): SpendStore {
  const retentionDays = options.retentionDays ?? 400;
  const days = new Map<string, Map<string, SpendRecord>>();
  let newestDay = "";
  return {
    async record(entry) {
      let rows = days.get(entry.day);
      if (rows === undefined) {
        rows = new Map();
        days.set(entry.day, rows);
        if (entry.day > newestDay) {
          newestDay = entry.day;
          const oldest = utcDay(Date.parse(`${entry.day}T00:00:00Z`) - retentionDays * 86_400_000);
          for (const day of days.keys()) if (day < oldest) days.delete(day);
        }
      }
      const id = JSON.stringify([entry.key, entry.team ?? "", entry.model]);
      const row = rows.get(id);
      rows.set(id, {
        day: entry.day,
        key: entry.key,
        ...(entry.team === undefined ? {} : { team: entry.team }),
        model: entry.model,
        costMicros: (row?.costMicros ?? 0) + entry.costMicros,
        requests: (row?.requests ?? 0) + entry.requests,
        inputTokens: (row?.inputTokens ?? 0) + entry.inputTokens,
        outputTokens: (row?.outputTokens ?? 0) + entry.outputTokens,
      });
    },
    async query(query) {
      const result: SpendRecord[] = [];
      for (const day of daysBetween(query.from, query.to)) {
        for (const row of days.get(day)?.values() ?? []) if (matchesQuery(row, query)) result.push(row);
      }
      return result;
    },
  };
}
