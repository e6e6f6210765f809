import { z } from 'zod';
import type { LlmUsage } from '../types.js';

/** USD per million tokens. Cache writes default to 1.25× input (5-minute cache), cache reads to 0.1× input. */
export const ModelPrice = z.strictObject({
  input: z.number().min(0),
  output: z.number().min(0),
  cacheWrite: z.number().min(0).optional(),
  cacheRead: z.number().min(0).optional(),
});
export type ModelPrice = z.infer<typeof ModelPrice>;
export const PriceTable = z.record(z.string(), ModelPrice);
export type PriceTable = z.infer<typeof PriceTable>;

/** Anthropic list prices (USD / MTok) for the models we default to; override or extend through options. */
export const DEFAULT_PRICES: PriceTable = {
  'claude-opus-4-6': { input: 5, output: 25 },
  'claude-opus-4-5': { input: 5, output: 25 },
  'claude-opus-4-1': { input: 15, output: 75 },
  'claude-opus-4-0': { input: 15, output: 75 },
  'claude-sonnet-4-6': { input: 3, output: 15 },
  'claude-sonnet-4-5': { input: 3, output: 15 },
  'claude-sonnet-4-0': { input: 3, output: 15 },
  'claude-haiku-4-5': { input: 1, output: 5 },
  'claude-3-5-haiku-latest': { input: 0.8, output: 4 },
};

/** The price of `model`, also when the API answers with a dated id (`claude-haiku-4-5-20251001`). */
export function priceOf(prices: PriceTable, model: string): ModelPrice | undefined {
  return prices[model] ?? prices[model.replace(/-\d{8}$/, '')];
}

export function costOf(price: ModelPrice, usage: LlmUsage): number {
  const perToken = (perMillion: number) => perMillion / 1_000_000;
  const cost =
    usage.inputTokens * perToken(price.input) +
    usage.outputTokens * perToken(price.output) +
    (usage.cacheWriteTokens ?? 0) * perToken(price.cacheWrite ?? price.input * 1.25) +
    (usage.cacheReadTokens ?? 0) * perToken(price.cacheRead ?? price.input * 0.1);
  // Round to a millionth of a cent so sums of recorded costs stay readable.
  return Math.round(cost * 1e8) / 1e8;
}
