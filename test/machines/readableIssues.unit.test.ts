import { expect, it } from 'vitest';
import { z } from 'zod';
import { READABLE_ISSUES } from '../../src/machines/index.js';

it('a missing value reads "Required" with what was expected; a wrong value keeps zod\'s message', () => {
  const schema = z.object({ name: z.string(), verdict: z.enum(['pass', 'revise']), kind: z.literal('memo'), payload: z.json(), count: z.number() });
  const result = schema.safeParse({ count: 'two' }, READABLE_ISSUES);
  expect(result.success).toBe(false);
  expect(result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual([
    'name: Required: expected string',
    'verdict: Required: expected one of "pass"|"revise"',
    'kind: Required: expected one of "memo"',
    'payload: Required',
    'count: Invalid input: expected number, received string',
  ]);
});
