import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/llm/anthropic/translateSdkError.js';
import { canonicalJson, costOf, DEFAULT_PRICES, hashPrompt, priceOf, promptParts } from '../../src/llm/index.js';
import { contractContext, verdictTool } from './llmContract.js';

describe('parseRetryAfter', () => {
  const now = () => Date.parse('2026-01-01T00:00:00Z');
  it('reads retry-after-ms first, then retry-after as seconds or an HTTP date', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(250);
    expect(parseRetryAfter(new Headers({ 'retry-after': '7' }), now)).toBe(7000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now)).toBe(3000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(new Headers(), now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('price table', () => {
  it('prices dated model ids like their alias, and cache tokens at 1.25× / 0.1× input by default', () => {
    expect(priceOf(DEFAULT_PRICES, 'claude-haiku-4-5-20251001')).toEqual(DEFAULT_PRICES['claude-haiku-4-5']);
    expect(priceOf(DEFAULT_PRICES, 'gpt-4')).toBeUndefined();
    expect(
      costOf({ input: 1, output: 5 }, { inputTokens: 1_000_000, outputTokens: 1_000_000, cacheWriteTokens: 1_000_000, cacheReadTokens: 1_000_000 }),
    ).toBeCloseTo(1 + 5 + 1.25 + 0.1, 10);
    expect(
      costOf(
        { input: 1, output: 5, cacheWrite: 2, cacheRead: 0 },
        { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 1_000_000, cacheReadTokens: 1_000_000 },
      ),
    ).toBe(2);
  });
});

describe('prompt hash', () => {
  it('covers model, system, messages and tool, independent of key order', () => {
    const request = { context: contractContext('review'), system: 'S', messages: [{ role: 'user' as const, content: 'M' }], tool: verdictTool };
    const base = hashPrompt(promptParts(request, 'm1'));
    expect(hashPrompt(promptParts({ ...request, context: contractContext('review', 2) }, 'm1'))).toBe(base);
    expect(hashPrompt(promptParts(request, 'm2'))).not.toBe(base);
    expect(hashPrompt(promptParts({ ...request, system: 'T' }, 'm1'))).not.toBe(base);
    expect(hashPrompt(promptParts({ ...request, tool: undefined }, 'm1'))).not.toBe(base);
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 3 } })).toBe('{"a":{"c":3,"d":[2,{"e":0,"f":1}]},"b":1}');
  });
});
