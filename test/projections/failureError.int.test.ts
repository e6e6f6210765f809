import { expect, it } from 'vitest';
import { z } from 'zod';
import { TerminalError, defineWorkflow } from 'ecl-workflows';
import { createTestEngine } from 'ecl-workflows/testing';
import { statusOfStream } from '../../src/projections/index.js';

// A client branches on a failed workflow's `error.code`: every failure has one, whether its
// WorkflowFailed recorded an error (a step's) or was caused by the event before it.
const gated = defineWorkflow({
  name: 'gated',
  version: 1,
  input: z.object({}),
  steps: [
    { kind: 'produce', name: 'draft', run: async () => 'draft' },
    { kind: 'approval', name: 'approve' },
  ],
});
const capped = defineWorkflow({
  name: 'capped',
  version: 1,
  input: z.object({}),
  steps: [
    { kind: 'produce', name: 'draft', run: async () => 'draft' },
    { kind: 'validate', name: 'judge', maxIterations: 2, onCap: 'fail', run: async () => ({ verdict: 'revise' as const, feedback: 'again' }) },
  ],
});
const looping = defineWorkflow({
  name: 'looping',
  version: 1,
  input: z.object({}),
  steps: [
    { kind: 'produce', name: 'act', run: async () => 'acted' },
    { kind: 'route', name: 'check', to: ['act', 'completed'], choose: () => 'act', maxLoops: 1, onCap: 'fail' },
  ],
});
const broken = defineWorkflow({
  name: 'broken',
  version: 1,
  input: z.object({}),
  steps: [
    {
      kind: 'produce',
      name: 'call',
      run: async () => {
        throw new TerminalError('the vendor is down', { code: 'VENDOR_DOWN' });
      },
    },
  ],
});

const spending = defineWorkflow({
  name: 'spending',
  version: 1,
  input: z.object({}),
  budget: { maxTokens: 1, onExceed: 'fail' },
  steps: [{ kind: 'produce', name: 'write', run: async (ctx) => (await ctx.complete({ messages: [{ role: 'user', content: 'Write a memo' }] })).text }],
});

it("every failed workflow's status has an error with a code: its step's, REJECTED, CAP_REACHED, BUDGET_EXCEEDED", async () => {
  const t = createTestEngine({ definitions: [gated, capped, looping, broken, spending] });
  // As the API and `ecl status` show it: the read model's row, and the same fold of the stream.
  const errorOf = async (id: string) => {
    const { status } = await t.audit(id);
    expect(statusOfStream(await t.history(id))?.error).toEqual(status?.error);
    return status?.error;
  };

  await t.run(gated, {}, { id: 'rejected' });
  await t.send('rejected', { type: 'REJECT', reason: 'out of stock' });
  expect(await errorOf('rejected')).toEqual({ code: 'REJECTED', message: 'Rejected by a person at "approve": out of stock', retryable: false });

  expect(await t.run(capped, {}, { id: 'capped' })).toMatchObject({ status: 'failed' });
  expect(await errorOf('capped')).toEqual({ code: 'CAP_REACHED', message: 'judge reached its cap of 2 iterations', retryable: false });

  expect(await t.run(looping, {}, { id: 'looped' })).toMatchObject({ status: 'failed' });
  expect(await errorOf('looped')).toEqual({ code: 'CAP_REACHED', message: 'check reached its cap of 1 loops', retryable: false });

  expect(await t.run(spending, {}, { id: 'spent' })).toMatchObject({ status: 'failed' });
  expect(await errorOf('spent')).toMatchObject({ code: 'BUDGET_EXCEEDED', message: expect.stringMatching(/^write exceeded its tokens budget \(\d+ of 1\)$/) });

  expect(await t.run(broken, {}, { id: 'broken' })).toMatchObject({ status: 'failed' });
  expect(await errorOf('broken')).toMatchObject({ code: 'VENDOR_DOWN', message: 'the vendor is down' });

  // An approval clears nothing it should not: a workflow that goes on has no error.
  await t.run(gated, {}, { id: 'approved' });
  await t.send('approved', { type: 'APPROVE' });
  expect(await errorOf('approved')).toBeNull();
  await t.close();
});
