import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from 'ecl-workflows';
import { CommandRejectedError, createTestEngine, type WorkflowEvent } from 'ecl-workflows/testing';

const invoice = defineWorkflow({
  name: 'invoice',
  version: 1,
  input: z.object({ customer: z.string() }),
  outputs: { paid: z.object({ amount: z.number() }) },
  steps: [
    { kind: 'produce', name: 'bill', run: async (ctx) => `invoice for ${ctx.input.customer}` },
    { kind: 'signal', name: 'paid', signal: 'payment' },
  ],
});

describe('TestEngine.send and TestEngine.events', () => {
  it('a refused command rejects with CommandRejectedError: its code, what the workflow accepts now, and nothing recorded', async () => {
    const t = createTestEngine({ definitions: [invoice] });
    expect(await t.run(invoice, { customer: 'Ada' }, { id: 'i1' })).toMatchObject({ status: 'waiting' });
    const before = await t.history('i1');

    const refused = await t.send('i1', { type: 'APPROVE' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CommandRejectedError);
    const rejection = refused as CommandRejectedError;
    expect(rejection.code).toBe('COMMAND_NOT_ALLOWED');
    expect(rejection.accepts).toEqual(['payment', 'CANCEL']);
    expect(rejection.message).toMatch(/^COMMAND_NOT_ALLOWED: /);
    expect(rejection.rejection).toMatchObject({ accepted: false, workflowId: 'i1' });

    const invalid = (await t.send('i1', { type: 'payment', data: { amount: 'ten' } }).catch((error: unknown) => error)) as CommandRejectedError;
    expect(invalid.code).toBe('INVALID_COMMAND');
    expect(invalid.message).toContain('amount');
    expect(await t.history('i1')).toEqual(before);

    expect(await t.send('i1', { type: 'payment', data: { amount: 10 } })).toMatchObject({ status: 'completed' });
    await t.close();
  });

  it('events are the machine events, typed by their type', async () => {
    const t = createTestEngine({ definitions: [invoice] });
    await t.run(invoice, { customer: 'Ada' }, { id: 'i2' });
    await t.send('i2', { type: 'payment', data: { amount: 10 } });

    const events = await t.events('i2');
    expectTypeOf(events).toEqualTypeOf<WorkflowEvent[]>();
    expect(events.map((event) => event.type)).toEqual((await t.history('i2')).map((record) => record.type));
    const outputs = events.flatMap((event) => (event.type === 'StepCompleted' ? [[event.data.step, event.data.output]] : []));
    expect(outputs).toEqual([['bill', 'invoice for Ada']]);
    const received = events.flatMap((event) => (event.type === 'SignalReceived' ? [event.data] : []));
    expectTypeOf(received[0]?.signal).toEqualTypeOf<string | undefined>();
    expect(received).toEqual([{ v: 1, step: 'paid', signal: 'payment', data: { amount: 10 } }]);
    await t.close();
  });
});
