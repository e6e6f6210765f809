import { expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from 'ecl-workflows';
import { createTestEngine } from 'ecl-workflows/testing';
import winston from 'winston';
import { createEngine } from '../../src/actors/index.js';
import { createMemoryArtifactStore } from '../../src/artifacts/index.js';
import { type EventStore, createMemoryEventStore, isWrongExpectedRevision, workflowStream } from '../../src/eventstore/index.js';
import { createOfflineProvider } from '../../src/llm/index.js';
import { createRegistry } from '../../src/machines/index.js';

// At-least-once senders retry a command whose answer they lost. With their own id for it
// (`commandId`, HTTP's Idempotency-Key), the retry finds the first recording instead of a 409.
const invoice = defineWorkflow({
  name: 'invoice',
  version: 1,
  input: z.object({}),
  steps: [
    { kind: 'produce', name: 'bill', run: async () => 'billed' },
    { kind: 'signal', name: 'paid', signal: 'payment', schema: z.object({ amount: z.number(), currency: z.string().default('EUR') }) },
    { kind: 'produce', name: 'book', run: async () => 'booked' },
    { kind: 'approval', name: 'review' },
  ],
});

const payment = (amount: number) => invoice.signal('payment', { amount });

it('a command sent again with its id is not recorded twice: the send answers with the first recording and its batch, also once the workflow moved on', async () => {
  const t = createTestEngine({ definitions: [invoice] });
  await t.run(invoice, {}, { id: 'i1' });
  const first = await t.engine.send('i1', payment(5), { commandId: 'pay-1', sender: 'billing' });
  if (!first.accepted) throw new Error(first.message);
  expect(first.duplicate).toBeUndefined();
  // The signal and the StepStarted of `book` it caused: one batch.
  expect(first.lastRevision).toBe(first.revision + 1);
  await t.settled('i1');
  const lengthAfterFirst = (await t.history('i1')).length;
  expect(lengthAfterFirst).toBeGreaterThan(first.lastRevision + 1);

  // The workflow now waits at the review, not for the payment: still the first recording, with
  // the revisions of its own batch (not what `book` recorded later).
  expect(await t.engine.send('i1', payment(5), { commandId: 'pay-1', sender: 'billing' })).toMatchObject({
    accepted: true,
    duplicate: true,
    event: { type: 'SignalReceived', data: { signal: 'payment', data: { amount: 5, currency: 'EUR' } } },
    revision: first.revision,
    lastRevision: first.lastRevision,
  });
  // Without the id, the same signal is refused as not awaited now.
  expect(await t.engine.send('i1', payment(5))).toMatchObject({ accepted: false, code: 'COMMAND_NOT_ALLOWED' });
  // The same id with other data, or for another kind of command, is refused, naming what it was used for.
  expect(await t.engine.send('i1', payment(6), { commandId: 'pay-1' })).toMatchObject({
    accepted: false,
    code: 'COMMAND_ID_REUSED',
    message: 'Idempotency key "pay-1" was already used for signal payment with other data at revision 4: use a new key for another command',
  });
  expect(await t.engine.send('i1', { type: 'APPROVE' }, { commandId: 'pay-1' })).toMatchObject({
    accepted: false,
    code: 'COMMAND_ID_REUSED',
    message: 'Idempotency key "pay-1" was already used for signal payment at revision 4: use a new key for another command',
  });
  expect(await t.history('i1')).toHaveLength(lengthAfterFirst);

  // An id that happens to be an event's id (every event is caused by one) is a new command id.
  const stepCompleted = (await t.history('i1')).find((event) => event.type === 'StepCompleted')!;
  expect(await t.engine.send('i1', { type: 'APPROVE', note: 'fine' }, { commandId: stepCompleted.id })).toMatchObject({
    accepted: true,
    event: { type: 'HumanDecisionReceived' },
  });
  expect(await t.settled('i1')).toMatchObject({ status: 'completed' });

  // Finished, a repeated APPROVE with its id is still answered with the recording.
  expect(await t.engine.send('i1', { type: 'APPROVE', note: 'fine' }, { commandId: stepCompleted.id })).toMatchObject({ accepted: true, duplicate: true });
  await t.close();
});

it('two sends of one command id at once record it once; a malformed id is refused', async () => {
  const t = createTestEngine({ definitions: [invoice] });
  await t.run(invoice, {}, { id: 'i2' });
  const [a, b] = await Promise.all([t.engine.send('i2', payment(1), { commandId: 'twice' }), t.engine.send('i2', payment(1), { commandId: 'twice' })]);
  expect([a.accepted, b.accepted]).toEqual([true, true]);
  expect([a, b].filter((result) => result.accepted && result.duplicate === true)).toHaveLength(1);
  expect((await t.history('i2')).filter((event) => event.type === 'SignalReceived')).toHaveLength(1);
  for (const commandId of ['', ' padded', 'a b', 'x'.repeat(256), 'clé'])
    expect(await t.engine.send('i2', { type: 'CANCEL' }, { commandId })).toMatchObject({ accepted: false, code: 'INVALID_COMMAND' });
  await t.close();
});

it('a signal the definition does not have is refused as unknown, also once the workflow finished, with or without an id', async () => {
  const t = createTestEngine({ definitions: [invoice] });
  await t.run(invoice, {}, { id: 'i3' });
  await t.engine.send('i3', { type: 'CANCEL' });
  expect(await t.engine.send('i3', { type: 'refund', data: {} })).toMatchObject({ accepted: false, code: 'UNKNOWN_COMMAND' });
  expect(await t.engine.send('i3', { type: 'refund', data: {} }, { commandId: 'r-1' })).toMatchObject({ accepted: false, code: 'UNKNOWN_COMMAND' });
  await t.close();
});

it('a keyed signal without data, whose schema allows none, is a duplicate when sent again (recorded as null)', async () => {
  const ping = defineWorkflow({
    name: 'ping',
    version: 1,
    input: z.object({}),
    steps: [{ kind: 'signal', name: 'poked', signal: 'poke', schema: z.object({ by: z.string() }).optional() }],
  });
  const t = createTestEngine({ definitions: [ping] });
  await t.run(ping, {}, { id: 'p1' });
  expect(await t.engine.send('p1', { type: 'poke' }, { commandId: 'poke-1' })).toMatchObject({ accepted: true, event: { data: { data: null } } });
  expect(await t.engine.send('p1', { type: 'poke' }, { commandId: 'poke-1' })).toMatchObject({ accepted: true, duplicate: true });
  await t.close();
});

it('the same keyed command through two engines on one store at once is recorded once: the engine that loses the append finds it recorded', async () => {
  const paid = defineWorkflow({
    name: 'paid',
    version: 1,
    input: z.object({}),
    steps: [{ kind: 'signal', name: 'paid', signal: 'payment', schema: z.object({ amount: z.number() }) }],
  });
  const memory = createMemoryEventStore();
  // Counts the appends to the workflow that lost to another writer: the race this test is about.
  let conflicts = 0;
  const store: EventStore = {
    ...memory,
    append: (stream, events, options) =>
      memory.append(stream, events, options).catch((error: unknown) => {
        if (stream === workflowStream('x1') && isWrongExpectedRevision(error)) conflicts++;
        throw error;
      }),
  };
  const engineOn = () =>
    createEngine({
      store,
      llm: createOfflineProvider(),
      artifacts: createMemoryArtifactStore(),
      logger: winston.createLogger({ silent: true }),
      definitions: createRegistry([paid]),
    });
  const [one, two] = [engineOn(), engineOn()];
  try {
    await one.start(paid, {}, { id: 'x1' });
    await one.settled('x1');
    // Both hold the workflow, folded at the same revision, when the two copies arrive.
    expect(await two.get('x1')).toMatchObject({ status: 'waiting', accepts: ['payment', 'CANCEL'] });
    const sent = await Promise.all([one, two].map((engine) => engine.send('x1', paid.signal('payment', { amount: 3 }), { commandId: 'pay-x1' })));
    expect(sent.map((result) => result.accepted)).toEqual([true, true]);
    expect(sent.filter((result) => result.accepted && result.duplicate === true)).toHaveLength(1);
    const recorded = (await store.readStream(workflowStream('x1'))).filter((record) => record.type === 'SignalReceived');
    expect(recorded).toHaveLength(1);
    expect(conflicts).toBe(1);
    expect(sent.map((result) => (result.accepted ? result.revision : -1))).toEqual([recorded[0]!.revision, recorded[0]!.revision]);
  } finally {
    await Promise.all([one.close(), two.close()]);
  }
});
