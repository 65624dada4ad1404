import type { Usage } from "@switchyard/core";

/** The principal id recorded for requests no `authenticate` tap recognised. */
export const ANONYMOUS = "anonymous";

/** One finished request, as the ledger keeps it. */
export interface UsageEntry {
  /** `context.principal.id`, or {@link ANONYMOUS}. Never a key. */
  readonly principal: string;
  /** The model the client asked for. */
  readonly model: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
  /** USD, when the model has a price. */
  readonly cost: number | undefined;
}

/** What one principal has used so far. */
export interface UsageTotals {
  readonly requests: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
  /** USD; requests to unpriced models add nothing. */
  readonly cost: number;
}

/**
 * Where usage goes. In memory here; a real one would write to a database or a metrics pipeline, and the
 * plugin would not change.
 */
export interface UsageLedger {
  /** Records one finished request. */
  record(principal: string, model: string, usage: Usage, cost: number | undefined): void;
  /** Every entry, oldest first. */
  entries(): readonly UsageEntry[];
  /** Totals for one principal (all zero when it has made no request). */
  totals(principal: string): UsageTotals;
  /** The principals with at least one entry, in order of their first request. */
  principals(): readonly string[];
}

const NOTHING: UsageTotals = Object.freeze({
  requests: 0,
  promptTokens: 0,
  completionTokens: 0,
  totalTokens: 0,
  cost: 0,
});

/** Creates an in-memory {@link UsageLedger}. */
export function createUsageLedger(): UsageLedger {
  const entries: UsageEntry[] = [];
  const totals = new Map<string, UsageTotals>();
  return {
    record(principal, model, usage, cost) {
      const entry: UsageEntry = Object.freeze({
        principal,
        model,
        promptTokens: usage.prompt_tokens,
        completionTokens: usage.completion_tokens ?? usage.total_tokens - usage.prompt_tokens,
        totalTokens: usage.total_tokens,
        cost,
      });
      entries.push(entry);
      const before = totals.get(principal) ?? NOTHING;
      totals.set(
        principal,
        Object.freeze({
          requests: before.requests + 1,
          promptTokens: before.promptTokens + entry.promptTokens,
          completionTokens: before.completionTokens + entry.completionTokens,
          totalTokens: before.totalTokens + entry.totalTokens,
          cost: before.cost + (entry.cost ?? 0),
        }),
      );
    },
    entries: () => [...entries],
    totals: (principal) => totals.get(principal) ?? NOTHING,
    principals: () => [...totals.keys()],
  };
}
