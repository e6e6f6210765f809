import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow } from 'ecl-workflows';
import { SPEC_NOW, ev, workflowSpec } from 'ecl-workflows/testing';

const HOUR = 3_600_000;

/** A retried step, a sleep, a signal with a timeout and a capped route loop: every wait the spec builders name. */
const invoice = defineWorkflow({
  name: 'invoice',
  version: 1,
  input: z.object({ customer: z.string() }),
  steps: [
    { kind: 'produce', name: 'bill', retry: { maxAttempts: 3, initialDelayMs: 1_000 }, run: async (ctx) => `invoice for ${ctx.input.customer}` },
    { kind: 'sleep', name: 'grace', for: () => 2 * HOUR },
    { kind: 'signal', name: 'paid', signal: 'payment', schema: z.object({ amount: z.number() }), timeoutMs: 24 * HOUR, onTimeout: 'continue' },
    { kind: 'produce', name: 'check', run: async () => 'checked' },
    { kind: 'route', name: 'again', to: ['check', 'receipt'], maxLoops: 1, onCap: 'continue', choose: () => 'check' },
    { kind: 'produce', name: 'receipt', run: async () => 'receipt' },
  ],
});

const at = (ms: number): string => new Date(Date.parse(SPEC_NOW) + ms).toISOString();

describe('ecl-workflows/testing: a spec without a clock of its own, and the ev builders for every wait', () => {
  const spec = workflowSpec(invoice);
  const started = spec.started({ customer: 'Ada' });
  const billed = [started, ev.stepStarted('bill'), ev.stepCompleted('bill', 1, 'invoice for Ada')];
  const asleep = [...billed, ev.sleepStarted('grace', at(2 * HOUR))];
  const waiting = [...asleep, ev.sleepEnded('grace', at(2 * HOUR)), ev.signalAwaited('paid', 'payment', at(26 * HOUR))];
  const checked = [...waiting, ev.signalReceived('paid', 'payment', { amount: 12 }), ev.stepStarted('check'), ev.stepCompleted('check', 1, 'checked')];

  it('given no `now`, a sleep is entered from SPEC_NOW (no real clock read, no invalid time)', () => {
    spec
      .given(...billed.slice(0, 2))
      .whenRecorded(billed[2]!)
      .then([billed[2]!, ev.sleepStarted('grace', at(2 * HOUR))]);
  });

  it('a given history the machine refuses names the event by its place and its step', () => {
    // The grace sleep is skipped: the machine is still at bill's end when the signal is awaited.
    expect(() => spec.given(...billed, ev.signalAwaited('paid', 'payment', at(26 * HOUR)))).toThrow(
      'given event 4 of 4: The machine does not accept SignalAwaited in state {"bill":"done"} (the event of step "paid")',
    );
  });

  it('a failed attempt with retryAt keeps the step running; at its due time the retry starts as attempt 2', () => {
    const failed = ev.stepFailed('bill', 1, 'BUSY', 1, at(1_000));
    const outcome = spec.given(started, ev.stepStarted('bill')).whenRecorded(failed);
    outcome.then([
      {
        type: 'StepFailed',
        data: { v: 1, step: 'bill', iteration: 1, attempt: 1, error: { code: 'BUSY', message: 'BUSY happened', retryable: true }, retryAt: at(1_000) },
      },
    ]);
    outcome.thenState('bill.running');
    workflowSpec(invoice, { now: at(1_000) })
      .given(started, ev.stepStarted('bill'), failed)
      .whenResumed()
      .then([ev.stepStarted('bill', 1, 2)]);
  });

  it('a sleep that came due, a signal awaited with its timeout, received or timed out, and a route loop with its cap', () => {
    workflowSpec(invoice, { now: at(2 * HOUR) })
      .given(...asleep)
      .whenResumed()
      .then([ev.sleepEnded('grace', at(2 * HOUR)), ev.signalAwaited('paid', 'payment', at(26 * HOUR))]);
    spec.given(...waiting).thenState('paid.waiting');
    spec
      .given(...waiting)
      .when({ type: 'payment', data: { amount: 12 } })
      .then([ev.signalReceived('paid', 'payment', { amount: 12 }), ev.stepStarted('check')]);
    workflowSpec(invoice, { now: at(26 * HOUR) })
      .given(...waiting)
      .whenResumed()
      .then([ev.signalTimedOut('paid', 'payment', at(26 * HOUR), 'continue'), ev.stepStarted('check')]);
    spec
      .given(...checked.slice(0, -1))
      .whenRecorded(checked.at(-1)!)
      .then([checked.at(-1)!, ev.routeChosen('again', 'check', 1), ev.stepStarted('check', 2)]);
    const secondCheck = ev.stepCompleted('check', 2, 'checked');
    spec
      .given(...checked, ev.routeChosen('again', 'check', 1), ev.stepStarted('check', 2))
      .whenRecorded(secondCheck)
      .then([secondCheck, ev.routeChosen('again', 'check', 1, { to: 'receipt', capReached: true }), ev.stepStarted('receipt')]);
  });
});
