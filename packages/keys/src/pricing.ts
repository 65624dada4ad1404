import type { Gateway, ModelPrice, RouteTarget, Usage } from "@switchyard/core";
import { z } from "zod";

/** Price overrides: `provider/model` (or a bare model id, for every provider serving it) -> price. */
export type PriceOverrides = Readonly<Record<string, ModelPrice>>;

/** zod schema of one price (USD per million tokens). */
export const modelPriceSchema = z
  .object({
    inputPerMillion: z.number().nonnegative(),
    outputPerMillion: z.number().nonnegative(),
    cachedInputPerMillion: z.number().nonnegative().optional(),
  })
  .strict();

/** The price of a route target: the override for `provider/model`, then for `model`, then the provider's table. */
export function priceOfTarget(
  gateway: Pick<Gateway, "modelInfo">,
  overrides: PriceOverrides,
  target: RouteTarget,
): ModelPrice | undefined {
  return (
    overrides[`${target.provider.name}/${target.model}`] ??
    overrides[target.model] ??
    gateway.modelInfo(target.provider, target.model)?.price
  );
}

// Prices are in USD per million tokens, so tokens x price is micro-USD already. Products of fractional
// prices carry float noise (0.15 * 7 = 1.0500000000000003): shave it before rounding up.
const NOISE = 1e-7;

/** micro-USD of `tokens` at `perMillion` USD per million, rounded up to a whole micro-USD. */
export function micros(tokens: number, perMillion: number): number {
  return Math.max(0, Math.ceil(tokens * perMillion - NOISE));
}

/** Integer micro-USD a usage costs at `price` (cached prompt tokens at the cached price), rounded up once. */
export function usageMicros(price: ModelPrice, usage: Usage): number {
  const cached = Math.min(usage.prompt_tokens, usage.prompt_tokens_details?.cached_tokens ?? 0);
  const output = usage.completion_tokens ?? Math.max(0, usage.total_tokens - usage.prompt_tokens);
  const exact =
    (usage.prompt_tokens - cached) * price.inputPerMillion +
    cached * (price.cachedInputPerMillion ?? price.inputPerMillion) +
    output * price.outputPerMillion;
  return Math.max(0, Math.ceil(exact - NOISE));
}

/** micro-USD as a USD string for people: `$0.000123`, `$5.00`. */
export function formatUsd(amountMicros: number): string {
  const usd = amountMicros / 1_000_000;
  if (amountMicros % 10_000 === 0) return `$${usd.toFixed(2)}`;
  return `$${usd.toFixed(6).replace(/0+$/, "")}`;
}

/** USD (a float) to integer micro-USD, rounded to the nearest. */
export function usdToMicros(usd: number): number {
  return Math.round(usd * 1_000_000);
}

/** A USD cost for the `x-switchyard-cost` header: plain decimal, up to 10 places, no exponent. */
export function formatCostHeader(usd: number): string {
  const fixed = usd.toFixed(10).replace(/0+$/, "");
  return fixed.endsWith(".") ? `${fixed}0` : fixed;
}
