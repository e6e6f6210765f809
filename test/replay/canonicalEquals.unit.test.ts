import { describe, expect, it } from 'vitest';
import { canonical, canonicalEquals } from '../../src/replay/canonicalEquals.js';

/** The structural comparison must agree with comparing the canonical JSON texts. */
const cases: [unknown, unknown][] = [
  [1, 1],
  [1, 2],
  ['a', 'a'],
  [null, null],
  [null, {}],
  [0, false],
  ['1', 1],
  [
    { a: 1, b: 2 },
    { b: 2, a: 1 },
  ],
  [{ a: 1, b: undefined }, { a: 1 }],
  [{ a: 1 }, { a: 1, b: undefined }],
  [{ a: undefined }, {}],
  [{ a: 1 }, { a: 1, b: 2 }],
  [{ a: 1, b: 2 }, { a: 1 }],
  [{ a: { b: [1, 2, { c: 'x', d: undefined }] } }, { a: { b: [1, 2, { c: 'x' }] } }],
  [{ a: [1, 2] }, { a: [2, 1] }],
  [
    [1, undefined],
    [1, null],
  ],
  [[1], [1, 1]],
  [[], {}],
  [{}, []],
  [{ 0: 'a' }, ['a']],
  [
    { type: 'StepStarted', data: { v: 1, step: 'draft', iteration: 2, attempt: 1 } },
    { data: { attempt: 1, iteration: 2, step: 'draft', v: 1 }, type: 'StepStarted' },
  ],
  [
    { type: 'StepStarted', data: { v: 1, step: 'draft', iteration: 2, attempt: 1 } },
    { type: 'StepStarted', data: { v: 1, step: 'draft', iteration: 2, attempt: 2 } },
  ],
];

describe('canonicalEquals', () => {
  it.each(cases)('agrees with the canonical text for %j and %j', (a, b) => {
    expect(canonicalEquals(a, b)).toBe(canonical(a) === canonical(b));
    expect(canonicalEquals(b, a)).toBe(canonical(a) === canonical(b));
  });
});
