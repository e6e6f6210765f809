import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from '../../src/index.js';
import { createTestEngine } from '../../src/testing/index.js';

const returning = (value: unknown) =>
  defineWorkflow({ name: 'returns', version: 1, input: z.object({}).default({}), steps: [{ kind: 'produce', name: 'only', run: async () => value as never }] });

describe('a step output the log cannot hold', () => {
  it.each([NaN, Infinity, -Infinity])('%s fails the workflow with INVALID_OUTPUT instead of leaving it running', async (value) => {
    const test = createTestEngine({ definitions: [returning(value)] });
    try {
      const view = await test.run('returns', {}, { id: 'w' });
      expect(view).toMatchObject({ status: 'failed' });
      const failed = (await test.history('w')).find((event) => event.type === 'StepFailed');
      expect(failed?.data).toMatchObject({ error: { code: 'INVALID_OUTPUT', message: `Step "only" returned ${value}, which JSON cannot hold` } });
    } finally {
      await test.close();
    }
  });

  it('a definition object can be run directly', async () => {
    const definition = returning({ fine: true });
    const test = createTestEngine({ definitions: [] });
    try {
      expect(await test.run(definition, {})).toMatchObject({ status: 'completed', output: { fine: true } });
    } finally {
      await test.close();
    }
  });
});
