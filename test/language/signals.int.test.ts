import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from 'ecl-workflows';
import { createTestEngine, ev, replayHistories, workflowSpec } from 'ecl-workflows/testing';

const Payment = z.object({ amount: z.number().positive(), currency: z.string().length(3) });

/** Invoice, wait for the payment signal (with its data), then send a receipt that reads it. */
const invoice = defineWorkflow({
  name: 'invoice',
  version: 1,
  input: z.object({ customer: z.string(), patienceMs: z.number().optional(), onTimeout: z.enum(['fail', 'continue']).optional() }),
  steps: [
    { kind: 'produce', name: 'bill', run: async (ctx) => `invoice for ${ctx.input.customer}` },
    { kind: 'signal', name: 'paid', signal: 'payment', schema: Payment, timeoutMs: ({ input }) => input.patienceMs ?? 7 * 24 * 3_600_000 },
    {
      kind: 'produce',
      name: 'receipt',
      run: async (ctx) => {
        const payment = ctx.outputs.paid as { amount: number; currency: string } | null;
        return payment === null ? 'no payment' : `received ${payment.amount} ${payment.currency}`;
      },
    },
  ],
});

const gated = defineWorkflow({
  name: 'gated',
  version: 1,
  input: z.object({}),
  steps: [
    { kind: 'produce', name: 'draft', run: async () => 'draft' },
    { kind: 'approval', name: 'review' },
  ],
});

describe('typed signals', () => {
  it('waits for the named signal; its data, checked and parsed, is the step output later steps read', async () => {
    const t = createTestEngine({ definitions: [invoice] });
    const waiting = await t.run('invoice', { customer: 'Ada' }, { id: 'i1' });
    expect(waiting).toMatchObject({
      status: 'waiting',
      state: 'paid.waiting',
      accepts: ['payment', 'CANCEL'],
      waitingFor: { step: 'paid', kind: 'signal', signal: 'payment', timeoutAt: '2030-01-08T00:00:00.000Z' },
    });
    const done = await t.send('i1', invoice.signal('payment', { amount: 12.5, currency: 'EUR' }));
    expect(done).toMatchObject({ status: 'completed', output: 'received 12.5 EUR' });
    // Finished (and gone from memory): a second payment is refused naming the signal, not "SIGNAL".
    expect(await t.engine.send('i1', { type: 'payment', data: { amount: 1, currency: 'EUR' } })).toMatchObject({
      accepted: false,
      code: 'COMMAND_NOT_ALLOWED',
      message: 'signal payment is not allowed in state completed: it accepts no command now',
      accepts: [],
    });
    const received = (await t.history('i1')).find((event) => event.type === 'SignalReceived');
    expect(received?.data).toMatchObject({ step: 'paid', signal: 'payment', data: { amount: 12.5, currency: 'EUR' } });
    await replayHistories([invoice], [{ workflowId: 'i1', events: await t.history('i1') }]);
    await t.close();
  });

  it('bad data is refused naming the field, and the stream is left byte-for-byte unchanged', async () => {
    const t = createTestEngine({ definitions: [invoice] });
    await t.run('invoice', { customer: 'Ada' }, { id: 'i2' });
    const before = JSON.stringify(await t.history('i2'), (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
    const refused = await t.engine.send('i2', { type: 'payment', data: { amount: -3, currency: 'EUR' } });
    expect(refused).toMatchObject({ accepted: false, code: 'INVALID_COMMAND', message: expect.stringMatching(/Invalid data for signal payment: amount: /) });
    const missing = await t.engine.send('i2', { type: 'payment' });
    expect(missing).toMatchObject({ accepted: false, code: 'INVALID_COMMAND' });
    // A misspelt name is not "not now": the refusal says the definition has no such signal.
    expect(await t.engine.send('i2', { type: 'paymnet', data: { amount: 3, currency: 'EUR' } })).toMatchObject({
      accepted: false,
      code: 'UNKNOWN_COMMAND',
      message: 'Workflow "invoice" has no signal step waiting for "paymnet"; its signals: payment',
      accepts: ['payment', 'CANCEL'],
    });
    expect(JSON.stringify(await t.history('i2'), (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))).toBe(before);
    await t.close();
  });

  it('a signal the workflow does not wait for is refused with what it accepts now', async () => {
    const t = createTestEngine({ definitions: [invoice, gated] });
    await t.run('invoice', { customer: 'Ada' }, { id: 'i3' });
    expect(await t.engine.send('i3', { type: 'refund', data: {} })).toMatchObject({
      accepted: false,
      code: 'UNKNOWN_COMMAND',
      state: 'paid.waiting',
      accepts: ['payment', 'CANCEL'],
    });
    expect(await t.engine.send('i3', { type: 'APPROVE' })).toMatchObject({ accepted: false, code: 'COMMAND_NOT_ALLOWED' });
    await t.run('gated', {}, { id: 'g1' });
    expect(await t.engine.send('g1', { type: 'payment', data: { amount: 1, currency: 'EUR' } })).toMatchObject({
      accepted: false,
      code: 'UNKNOWN_COMMAND',
      accepts: ['APPROVE', 'REJECT', 'CANCEL'],
    });
    await t.close();
  });

  it('a timeout fails the workflow, or goes on with a null output, as the step says', async () => {
    const t = createTestEngine({ definitions: [invoice] });
    const failed = await t.run('invoice', { customer: 'Ada', patienceMs: 60_000 }, { id: 'i4' });
    expect(failed.status).toBe('waiting');
    await t.clock.advance(60_000);
    expect(await t.engine.settled('i4')).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/Step "paid" failed: Step "paid" waited for signal "payment" until 2030-01-01T00:01:00.000Z; it did not come/),
    });
    const timedOut = (await t.history('i4')).find((event) => event.type === 'SignalTimedOut');
    expect(timedOut).toMatchObject({ data: { policy: 'fail' }, metadata: { sender: 'timer' } });

    const lenient = defineWorkflow({
      name: 'lenient',
      version: 1,
      input: z.object({}),
      steps: [
        { kind: 'signal', name: 'paid', signal: 'payment', timeoutMs: 1_000, onTimeout: 'continue' },
        { kind: 'produce', name: 'after', run: async (ctx) => ({ paid: 'paid' in ctx.outputs ? (ctx.outputs.paid ?? null) : 'missing' }) },
      ],
    });
    const t2 = createTestEngine({ definitions: [lenient] });
    expect(await t2.run('lenient', {}, { id: 'l1' })).toMatchObject({ status: 'waiting' });
    await t2.clock.advance(1_000);
    expect(await t2.engine.settled('l1')).toMatchObject({ status: 'completed', output: { paid: null } });
    await replayHistories([lenient], [{ workflowId: 'l1', events: await t2.history('l1') }]);
    await t.close();
    await t2.close();
  });

  it("a signal step's schema declared in outputs checks its data and types its output for later steps; a timed-out one that goes on records null", async () => {
    const typed = defineWorkflow({
      name: 'typed_invoice',
      version: 1,
      input: z.object({}),
      // `continue` on timeout records null: the schema must accept it, so the output's type holds it.
      outputs: { paid: Payment.nullable() },
      steps: [
        { kind: 'produce', name: 'bill', run: async () => 'invoice' },
        { kind: 'signal', name: 'paid', signal: 'payment', timeoutMs: 60_000, onTimeout: 'continue' },
        {
          kind: 'route',
          name: 'check',
          to: ['receipt', 'reminder'],
          choose: ({ outputs }) => (outputs.paid?.currency === 'EUR' ? 'receipt' : 'reminder'),
        },
        { kind: 'produce', name: 'receipt', run: async (ctx) => `received ${ctx.outputs.paid?.amount} ${ctx.outputs.paid?.currency}` },
        { kind: 'route', name: 'stop', to: ['completed'], choose: () => 'completed' },
        { kind: 'produce', name: 'reminder', run: async (ctx) => (ctx.outputs.paid === null ? 'no payment' : `in ${ctx.outputs.paid?.currency}?`) },
      ],
    });
    const t = createTestEngine({ definitions: [typed] });
    await t.run(typed, {}, { id: 'ti1' });
    expect(await t.engine.send('ti1', { type: 'payment', data: { amount: -1, currency: 'EUR' } })).toMatchObject({
      accepted: false,
      code: 'INVALID_COMMAND',
      message: expect.stringMatching(/Invalid data for signal payment: amount: /),
    });
    expect(await t.send('ti1', { type: 'payment', data: { amount: 12.5, currency: 'EUR' } })).toMatchObject({
      status: 'completed',
      output: 'received 12.5 EUR',
    });
    await t.run(typed, {}, { id: 'ti2' });
    await t.clock.advance(60_000);
    expect(await t.engine.settled('ti2')).toMatchObject({ status: 'completed', output: 'no payment' });
    await replayHistories(
      [typed],
      [
        { workflowId: 'ti1', events: await t.history('ti1') },
        { workflowId: 'ti2', events: await t.history('ti2') },
      ],
    );
    await t.close();
  });

  it('given/when/then: a signal moves the waiting step on; another command is refused', () => {
    const spec = workflowSpec(invoice, { now: '2030-01-01T00:00:00.000Z' });
    const history = [
      spec.started({ customer: 'Ada' }),
      ev.stepStarted('bill'),
      ev.stepCompleted('bill', 1, 'invoice'),
      { type: 'SignalAwaited', data: { v: 1, step: 'paid', signal: 'payment' } } as const,
    ];
    spec.given(...history).thenState('paid.waiting');
    spec
      .given(...history)
      .when({ type: 'payment', data: { amount: 3, currency: 'USD' } })
      .then([
        { type: 'SignalReceived', data: { v: 1, step: 'paid', signal: 'payment', data: { amount: 3, currency: 'USD' } } },
        { type: 'StepStarted', data: { v: 1, step: 'receipt', iteration: 1, attempt: 1, idempotencyKey: 'wf-1/receipt/1' } },
      ]);
    spec
      .given(...history)
      .when({ type: 'REJECT' })
      .thenRejected({ code: 'COMMAND_NOT_ALLOWED', accepts: ['payment', 'CANCEL'] });
    spec
      .given(...history)
      .when({ type: 'refund' })
      .thenRejected({ code: 'UNKNOWN_COMMAND', message: 'Workflow "invoice" has no signal step waiting for "refund"; its signals: payment' });
  });

  it('an approver may leave a note; it is recorded with the decision', async () => {
    const t = createTestEngine({ definitions: [gated] });
    await t.run('gated', {}, { id: 'g2' });
    expect(await t.send('g2', { type: 'APPROVE', note: 'Looks right; ship it' })).toMatchObject({ status: 'completed' });
    const decision = (await t.history('g2')).find((event) => event.type === 'HumanDecisionReceived');
    expect(decision?.data).toMatchObject({ decision: 'approve', note: 'Looks right; ship it' });
    await t.close();
  });

  it('a note misspelled, or put in data as over HTTP, is refused naming the field, never dropped', async () => {
    const t = createTestEngine({ definitions: [gated] });
    await t.run('gated', {}, { id: 'g3' });
    const before = await t.history('g3');
    // Neither compiles; an untyped caller gets the same refusal at run time.
    // @ts-expect-error `notes` is not a field of APPROVE
    expect(await t.engine.send('g3', { type: 'APPROVE', notes: 'Ship it' })).toMatchObject({
      accepted: false,
      code: 'INVALID_COMMAND',
      message: 'Invalid APPROVE command: (command): Unrecognized key: "notes"',
    });
    // @ts-expect-error a command's fields are its own, not in data
    expect(await t.engine.send('g3', { type: 'APPROVE', data: { note: 'Ship it' } })).toMatchObject({
      accepted: false,
      code: 'INVALID_COMMAND',
      message:
        "Invalid APPROVE command: (command): Unrecognized key: \"data\" (a command's fields go on the command itself, e.g. { type: 'APPROVE', note: '…' }; only signals carry data)",
    });
    // A command in lower case is read as a signal's name; the refusal says what was most likely meant.
    expect(await t.engine.send('g3', { type: 'approve' })).toMatchObject({
      accepted: false,
      code: 'UNKNOWN_COMMAND',
      message: 'Workflow "gated" has no signal step waiting for "approve"; it has no signal steps (commands are upper case: did you mean APPROVE?)',
      accepts: ['APPROVE', 'REJECT', 'CANCEL'],
    });
    expect(await t.history('g3')).toEqual(before);
    expect(await t.engine.get('g3')).toMatchObject({ status: 'waiting' });
    await t.close();
  });

  it('signal names are checked when the definition is made', () => {
    expect(() => defineWorkflow({ name: 'bad', version: 1, input: z.object({}), steps: [{ kind: 'signal', name: 'wait', signal: 'PAYMENT' }] })).toThrow(
      /signal step "wait": the signal's name must start with a lowercase letter/,
    );
  });
});
