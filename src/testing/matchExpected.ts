import { deepStrictEqual } from 'node:assert/strict';

/**
 * `expected` with every RegExp that matches the string at the same place in `actual` replaced by
 * that string, so one deep equality checks exact values and patterns alike.
 */
function resolvePatterns(expected: unknown, actual: unknown): unknown {
  if (expected instanceof RegExp) return typeof actual === 'string' && expected.test(actual) ? actual : expected;
  if (Array.isArray(expected)) return expected.map((item, index) => resolvePatterns(item, Array.isArray(actual) ? actual[index] : undefined));
  if (typeof expected === 'object' && expected !== null) {
    const at = (typeof actual === 'object' && actual !== null ? actual : {}) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(expected).map(([key, value]) => [key, resolvePatterns(value, at[key])]));
  }
  return expected;
}

/** Deep strict equality where a RegExp in `expected` matches a string; throws node's AssertionError. */
export function assertMatches(actual: unknown, expected: unknown, message?: string): void {
  deepStrictEqual(actual, resolvePatterns(expected, actual), message);
}
