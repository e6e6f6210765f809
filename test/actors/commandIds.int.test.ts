import { expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from 'ecl-workflows';
import { createTestEngine } from 'ecl-workflows/testing';

// At-least-once senders retry a command whose answer they lost. With their own id for it
// (`commandId`, HTTP's Idempotency-Key), the retry finds the first recording instead of a 409.
const invoice = defineWorkflow({
  name: 'invoice',
  version: 1,
  input: z.object({}),
  steps: [
    { kind: 'produce', name: 'bill', run: async () => 'billed' },
    { kind: 'signal', name: 'paid', signal: 'payment', schema: z.object({ amount: z.number() }) },
    { kind: 'approval', name: 'review' },
  ],
});

it('a command sent again with its id is not recorded twice: the send answers with the first recording, also once the workflow moved on', async () => {
  const t = createTestEngine({ definitions: [invoice] });
  await t.run(invoice, {}, { id: 'i1' });
  const first = await t.engine.send('i1', invoice.signal('payment', { amount: 5 }), { commandId: 'pay-1', sender: 'billing' });
  expect(first).toMatchObject({ accepted: true, revision: expect.any(Number) });
  expect(first.accepted && first.duplicate).toBeUndefined();
  await t.engine.settled('i1');
  const lengthAfterFirst = (await t.history('i1')).length;

  // The workflow now waits at the review, not for the payment: still the first recording.
  const again = await t.engine.send('i1', invoice.signal('payment', { amount: 5 }), { commandId: 'pay-1', sender: 'billing' });
  expect(again).toMatchObject({
    accepted: true,
    duplicate: true,
    event: { type: 'SignalReceived', data: { signal: 'payment', data: { amount: 5 } } },
    revision: first.accepted ? first.revision : -1,
    lastRevision: first.accepted ? first.lastRevision : -1,
  });
  // Without the id, the same signal is refused as not awaited now.
  expect(await t.engine.send('i1', invoice.signal('payment', { amount: 5 }))).toMatchObject({ accepted: false, code: 'COMMAND_NOT_ALLOWED' });
  // The same id for another kind of command is refused, naming what it was used for.
  expect(await t.engine.send('i1', { type: 'APPROVE' }, { commandId: 'pay-1' })).toMatchObject({
    accepted: false,
    code: 'COMMAND_NOT_ALLOWED',
    message: 'Command id "pay-1" was already used for SignalReceived at revision 4: use a new id for another command',
  });
  expect(await t.history('i1')).toHaveLength(lengthAfterFirst);

  // Finished, a repeated CANCEL with its id is still answered with the recording.
  const cancelled = await t.engine.send('i1', { type: 'CANCEL', reason: 'dup test' }, { commandId: 'cancel-1' });
  expect(cancelled).toMatchObject({ accepted: true, event: { type: 'WorkflowCancelled' } });
  expect(await t.engine.send('i1', { type: 'CANCEL', reason: 'dup test' }, { commandId: 'cancel-1' })).toMatchObject({
    accepted: true,
    duplicate: true,
    event: { type: 'WorkflowCancelled', data: { reason: 'dup test' } },
  });
  await t.close();
});

it('two sends of one command id at once record it once', async () => {
  const t = createTestEngine({ definitions: [invoice] });
  await t.run(invoice, {}, { id: 'i2' });
  const [a, b] = await Promise.all([
    t.engine.send('i2', invoice.signal('payment', { amount: 1 }), { commandId: 'twice' }),
    t.engine.send('i2', invoice.signal('payment', { amount: 1 }), { commandId: 'twice' }),
  ]);
  expect([a.accepted, b.accepted]).toEqual([true, true]);
  expect([a, b].filter((result) => result.accepted && result.duplicate === true)).toHaveLength(1);
  expect((await t.history('i2')).filter((event) => event.type === 'SignalReceived')).toHaveLength(1);
  await t.close();
});
