import { describe, expect, it } from 'vitest';
import { formatAuditTimeline } from '../../../../src/projections/index.js';
import { STORED_PAYLOADS } from '../../../../src/projections/storedEventSchemas.js';
import { WORKFLOW_EVENT_TYPES } from '../../../../src/machines/index.js';
import { decodeEvent, defaultUpcasterRegistry } from '../../../../src/projections/index.js';
import { createHistory, recordedFrom, type History } from '../historyBuilder.js';
import type { GivenHistories } from '../projectionSpec.js';

/** The newStepKinds suite, on whichever read models `givenHistories` builds (SQLite, PostgreSQL). */
export function newStepKindSpecs(givenHistories: GivenHistories): void {
  /** The history as it stood after its first `count` events. */
  const upTo = (history: History, count: number): History => ({ ...history, events: history.events.slice(0, count) });

  /** An invoice run that uses every new event: a retried attempt, a sleep, a signal, a route loop, an approver's note. */
  function invoiceHistory(): History {
    return createHistory({ workflowId: 'inv-1', definition: 'invoice' })
      .startedWithDeadline('2026-01-08T00:00:00.000Z')
      .stepStarted('bill')
      .attemptFailed('bill', 1, 1, '2026-01-01T00:00:02.500Z')
      .stepStarted('bill', 1, 2)
      .stepCompleted('bill', 1, 'invoice for Ada')
      .sleepStarted('grace', '2026-01-01T00:00:06.000Z')
      .sleepEnded('grace', '2026-01-01T00:00:06.000Z')
      .signalAwaited('paid', 'payment', '2026-01-01T01:00:07.000Z')
      .signalReceived('paid', 'payment', { amount: 12.5, currency: 'EUR' })
      .stepStarted('check', 1)
      .stepCompleted('check', 1, { round: 1 })
      .routeChosen('again', 'check', 1)
      .stepStarted('check', 2)
      .stepCompleted('check', 2, { round: 2 })
      .routeChosen('again', 'receipt', 1)
      .humanInputRequestedWith('sign', 'Approval required before continuing', ['APPROVE', 'REJECT', 'CANCEL'])
      .approvedWithNote('sign', 'paid in full, checked the bank statement')
      .completed('received 12.5 EUR');
  }

  describe('the stored event schemas know the new events', () => {
    it('have a schema for every event type the machines record, and decode each new event as the builder writes it', async () => {
      expect([...STORED_PAYLOADS.keys()].sort()).toEqual([...WORKFLOW_EVENT_TYPES].sort());
      for (const type of ['SleepStarted', 'SleepEnded', 'SignalAwaited', 'SignalReceived', 'SignalTimedOut', 'RouteChosen'] as const) {
        expect(STORED_PAYLOADS.has(type), type).toBe(true);
      }
      const upcasters = defaultUpcasterRegistry();
      const timedOut = createHistory({ workflowId: 'inv-x' })
        .startedWithDeadline('2026-01-08T00:00:00.000Z')
        .signalAwaited('paid', 'payment')
        .signalTimedOut('paid', 'payment', '2026-01-01T00:00:02.000Z', 'continue')
        .routeChosen('again', 'check', 3, { to: 'receipt', capReached: true });
      for (const recorded of recordedFrom([invoiceHistory(), timedOut])) {
        const decoded = decodeEvent(recorded, upcasters);
        expect(decoded.ok ? decoded.decoded.event.data : decoded, recorded.type).toStrictEqual(recorded.data);
      }
      // A new event's payload is checked as strictly as the old ones'.
      expect(STORED_PAYLOADS.get('SignalAwaited')!.safeParse({ v: 1, step: 'paid', signal: '' }).success).toBe(false);
      expect(STORED_PAYLOADS.get('RouteChosen')!.safeParse({ v: 1, step: 'again', chose: 'check', to: 'check', loops: -1 }).success).toBe(false);
    });
  });

  describe('status read model: sleeps, signals, routes, retries and deadlines', () => {
    it('a failed attempt awaiting its retry is running, with when it retries; the next attempt clears it', async () => {
      const history = invoiceHistory();
      await givenHistories([upTo(history, 3)]).then(async (queries) => {
        expect(await queries.getStatus('inv-1')).toMatchObject({
          status: 'running',
          currentStep: 'bill',
          wakeAt: '2026-01-01T00:00:02.500Z',
          wakeReason: 'retry',
          accepts: ['CANCEL'],
          deadline: { at: '2026-01-08T00:00:00.000Z', onPass: 'fail' },
          error: { code: 'BUSY', retryable: true },
          reason: 'attempt 1 of bill failed (BUSY); retrying at 2026-01-01T00:00:02.500Z',
        });
      });
      await givenHistories([upTo(history, 4)]).then(async (queries) => {
        const status = (await queries.getStatus('inv-1'))!;
        expect(status).toMatchObject({ status: 'running', currentStep: 'bill', reason: null });
        expect(status.wakeAt).toBeUndefined();
      });
    });

    it('a sleeping workflow is running, with when it wakes; waking clears it', async () => {
      const history = invoiceHistory();
      await givenHistories([upTo(history, 6)]).then(async (queries) => {
        const status = (await queries.getStatus('inv-1'))!;
        expect(status).toMatchObject({
          status: 'running',
          currentStep: 'grace',
          state: { grace: 'sleeping' },
          wakeAt: '2026-01-01T00:00:06.000Z',
          wakeReason: 'sleep',
        });
        expect(status.waitingFor).toBeUndefined();
        expect((await queries.listWorkflows({ status: 'running' })).items.map((item) => item.workflowId)).toEqual(['inv-1']);
      });
      await givenHistories([upTo(history, 7)]).then(async (queries) => {
        expect((await queries.getStatus('inv-1'))?.wakeAt).toBeUndefined();
      });
    });

    it('a workflow waiting for a signal is waiting, with the signal, its timeout and what it accepts (the signal first)', async () => {
      const history = invoiceHistory();
      await givenHistories([upTo(history, 8)]).then(async (queries) => {
        expect(await queries.getStatus('inv-1')).toMatchObject({
          status: 'waiting',
          currentStep: 'paid',
          waitingFor: { step: 'paid', kind: 'signal', signal: 'payment', timeoutAt: '2026-01-01T01:00:07.000Z' },
          accepts: ['payment', 'CANCEL'],
          reason: 'waiting for signal payment until 2026-01-01T01:00:07.000Z',
        });
        expect((await queries.listWorkflows({ status: 'waiting' })).items.map((item) => item.workflowId)).toEqual(['inv-1']);
        expect((await queries.listWorkflows({ status: 'running' })).items).toEqual([]);
      });
      await givenHistories([upTo(history, 9)]).then(async (queries) => {
        const status = (await queries.getStatus('inv-1'))!;
        expect(status).toMatchObject({ status: 'running', accepts: ['CANCEL'], reason: 'signal payment received at paid' });
        expect(status.waitingFor).toBeUndefined();
      });
    });

    it('a route shows its choice; an approval gate waits with kind approval; the approver note is kept; a finished workflow accepts nothing', async () => {
      const history = invoiceHistory();
      await givenHistories([upTo(history, 12)]).then(async (queries) => {
        expect(await queries.getStatus('inv-1')).toMatchObject({
          status: 'running',
          currentStep: 'again',
          state: { again: 'chosen' },
          reason: 'again chose check',
        });
      });
      await givenHistories([upTo(history, 16)]).then(async (queries) => {
        expect(await queries.getStatus('inv-1')).toMatchObject({
          status: 'waiting',
          iterations: { bill: 1, check: 2 },
          waitingFor: { step: 'sign', kind: 'approval' },
          accepts: ['APPROVE', 'REJECT', 'CANCEL'],
        });
      });
      await givenHistories([history]).then(async (queries) => {
        const status = (await queries.getStatus('inv-1'))!;
        // The last decision stays as its reason (the approver's note); a retry's note went when the retry started.
        expect(status).toMatchObject({
          status: 'completed',
          output: 'received 12.5 EUR',
          accepts: [],
          reason: 'human decision at sign: approve (paid in full, checked the bank statement)',
        });
        expect(status.deadline).toBeUndefined();
        expect(status.waitingFor).toBeUndefined();
        expect(status.wakeAt).toBeUndefined();
      });
    });

    it('an escalated cap or budget waits with that kind; a timed-out signal and a passed deadline fail with the reason', async () => {
      const cap = createHistory({ workflowId: 'cap' })
        .started()
        .stepStarted('draft')
        .capReached('draft', 3, 'escalate')
        .humanInputRequested('draft', 'cap of 3 reached');
      const budget = createHistory({ workflowId: 'budget' }).started().stepStarted('draft').budgetExceeded('draft').humanInputRequested('draft', 'over budget');
      const timedOut = createHistory({ workflowId: 'late' })
        .startedWithDeadline('2026-01-08T00:00:00.000Z')
        .signalAwaited('paid', 'payment', '2026-01-01T00:00:02.000Z')
        .signalTimedOut('paid', 'payment', '2026-01-01T00:00:02.000Z', 'fail')
        .failedWith('Step "paid" waited for signal "payment" until 2026-01-01T00:00:02.000Z; it did not come', {
          code: 'SIGNAL_TIMEOUT',
          message: 'Step "paid" waited for signal "payment" until 2026-01-01T00:00:02.000Z; it did not come',
          retryable: false,
        });
      const deadline = createHistory({ workflowId: 'deadline' })
        .startedWithDeadline('2026-01-01T00:00:01.000Z')
        .signalAwaited('paid', 'payment')
        .failedWith('The workflow did not finish by its deadline 2026-01-01T00:00:01.000Z', {
          code: 'DEADLINE_PASSED',
          message: 'The workflow did not finish by its deadline 2026-01-01T00:00:01.000Z',
          retryable: false,
        });
      await givenHistories([cap, budget, timedOut, deadline]).then(async (queries) => {
        expect(await queries.getStatus('cap')).toMatchObject({ status: 'waiting', waitingFor: { step: 'draft', kind: 'cap' } });
        expect(await queries.getStatus('budget')).toMatchObject({ status: 'waiting', waitingFor: { step: 'draft', kind: 'budget' } });
        expect(await queries.getStatus('late')).toMatchObject({ status: 'failed', accepts: [], error: { code: 'SIGNAL_TIMEOUT' } });
        expect(await queries.getStatus('deadline')).toMatchObject({
          status: 'failed',
          error: { code: 'DEADLINE_PASSED' },
          reason: 'The workflow did not finish by its deadline 2026-01-01T00:00:01.000Z',
        });
        expect((await queries.getStatus('deadline'))?.waitingFor).toBeUndefined();
        expect((await queries.listWorkflows({ status: 'waiting' })).items.map((item) => item.workflowId)).toEqual(['budget', 'cap']);
      });
    });
  });

  describe('audit of the new events', () => {
    it('one readable line per event, grouped by step: retries, sleeps, signals, routes and the approver note', async () => {
      await givenHistories([invoiceHistory()]).then(async (queries) => {
        expect(formatAuditTimeline('inv-1', await queries.getAudit('inv-1'))).toEqual([
          'workflow inv-1 · invoice v1 · started 2026-01-01T00:00:00.000Z',
          '  00:00:00.000  r0    started invoice v1',
          '  bill #1',
          '    00:00:01.000  r1    bill started',
          '    00:00:02.000  r2    bill attempt 1 failed: BUSY: bill busy — retry at 2026-01-01T00:00:02.500Z',
          '    00:00:03.000  r3    bill started (attempt 2)',
          '    00:00:04.000  r4    bill completed: invoice for Ada',
          '  grace',
          '    00:00:05.000  r5    grace sleeps until 2026-01-01T00:00:06.000Z',
          '    00:00:06.000  r6    grace woke: slept until 2026-01-01T00:00:06.000Z  [timer]',
          '  paid',
          '    00:00:07.000  r7    paid waits for signal payment until 2026-01-01T01:00:07.000Z',
          '    00:00:08.000  r8    signal payment received at paid: {"amount":12.5,"currency":"EUR"}  [key-ops]',
          '  check #1',
          '    00:00:09.000  r9    check started',
          '    00:00:10.000  r10   check completed: {"round":1}',
          '  again',
          '    00:00:11.000  r11   route again chose check (loops so far: 1)',
          '  check #2',
          '    00:00:12.000  r12   check started',
          '    00:00:13.000  r13   check completed: {"round":2}',
          '  again',
          '    00:00:14.000  r14   route again chose receipt (loops so far: 1)',
          '  sign',
          '    00:00:15.000  r15   waiting for a human at sign: Approval required before continuing (accepts APPROVE, REJECT, CANCEL)',
          '    00:00:16.000  r16   human decided approve at sign, note: "paid in full, checked the bank statement"  [key-ops]',
          '  00:00:17.000  r17   completed: received 12.5 EUR',
          '18 events · 0 model calls · 0 in / 0 out tokens · $0.0000',
        ]);
        expect((await queries.getAudit('inv-1')).find((entry) => entry.type === 'SignalReceived')).toMatchObject({ step: 'paid', sender: 'key-ops' });
      });
    });

    it('a timed-out signal, a route at its cap, a late timer, a signal without timeout and a passed deadline', async () => {
      const history = createHistory({ workflowId: 'late', definition: 'invoice' })
        .startedWithDeadline('2026-01-01T00:10:00.000Z')
        .signalAwaited('paid', 'payment', '2026-01-01T00:00:02.000Z')
        .signalTimedOut('paid', 'payment', '2026-01-01T00:00:02.000Z', 'continue')
        .routeChosen('again', 'check', 3, { to: 'receipt', capReached: true })
        .sleepStarted('grace', '2026-01-01T00:00:00.500Z')
        .sleepEnded('grace', '2026-01-01T00:00:00.500Z')
        .signalAwaited('countersign', 'countersigned')
        .failedWith('The workflow did not finish by its deadline 2026-01-01T00:10:00.000Z', {
          code: 'DEADLINE_PASSED',
          message: 'The workflow did not finish by its deadline 2026-01-01T00:10:00.000Z',
          retryable: false,
        });
      await givenHistories([history]).then(async (queries) => {
        expect((await queries.getAudit('late')).map((entry) => entry.summary)).toEqual([
          'started invoice v1',
          'paid waits for signal payment until 2026-01-01T00:00:02.000Z',
          'signal payment timed out at 2026-01-01T00:00:02.000Z → continue (output null)',
          'route again chose check, but its cap of 3 loops is reached → continues at receipt',
          'grace sleeps until 2026-01-01T00:00:00.500Z',
          'grace woke: slept until 2026-01-01T00:00:00.500Z, 4.5 s late',
          'countersign waits for signal countersigned (no timeout)',
          'failed: The workflow did not finish by its deadline 2026-01-01T00:10:00.000Z (DEADLINE_PASSED)',
        ]);
      });
    });
  });
}
