import { describe, expect, it } from 'vitest';
import type { EngineEvent, WorkflowView } from '../../src/actors/index.js';
import { repeatedFlags, summarize } from '../../src/cli/followWorkflow.js';
import { stoppingLine } from '../../src/cli/withShutdown.js';
import { formatStatus, formatStatusTable, unfinishedChildren } from '../../src/cli/formatStatus.js';
import { formatTransition } from '../../src/cli/formatTransition.js';
import { z } from 'zod';
import { createRegistry, defineWorkflow, type WorkflowEvent } from '../../src/machines/index.js';
import type { WorkflowStatusRow } from '../../src/projections/index.js';
import { invoice } from './fixtures/invoice.js';

const transition = (event: WorkflowEvent, sender = 'system'): Extract<EngineEvent, { kind: 'transition' }> => ({
  kind: 'transition',
  workflowId: 'w',
  revision: 1,
  eventId: 'e',
  event,
  metadata: { workflowId: 'w', definition: 'invoice', version: 1, sender, at: 'x' },
  state: 'x',
  status: 'running',
});
const at = '2026-01-01T00:00:05.000Z';

describe('--follow lines for sleeps, signals, routes and retries', () => {
  it('one aligned line each', () => {
    const failed: WorkflowEvent = {
      type: 'StepFailed',
      data: { v: 1, step: 'bill', iteration: 1, attempt: 1, error: { code: 'BUSY', message: 'busy', retryable: true }, retryAt: at },
    };
    expect(formatTransition(transition(failed))).toBe(`  bill       #1  retrying     attempt 1 failed (BUSY: busy); retrying at ${at}`);
    const next = transition({ type: 'StepStarted', data: { v: 1, step: 'bill', iteration: 1, attempt: 2, idempotencyKey: 'k' } });
    expect(formatTransition(next, failed)).toBe('  bill       #1  started      attempt 2 (retry)');
    expect(formatTransition(next)).toBe('  bill       #1  started      attempt 2 (the previous one has no outcome)');
    expect(formatTransition(transition({ type: 'SleepStarted', data: { v: 1, step: 'grace', until: at } }))).toBe(`  grace          sleeping     until ${at}`);
    expect(formatTransition(transition({ type: 'SleepEnded', data: { v: 1, step: 'grace', until: at } }, 'timer'))).toBe(
      `  grace          woke         (timer, due ${at})`,
    );
    expect(formatTransition(transition({ type: 'SignalAwaited', data: { v: 1, step: 'paid', signal: 'payment', timeoutAt: at } }))).toBe(
      `  paid           waiting      for signal payment until ${at} [payment, CANCEL]`,
    );
    expect(formatTransition(transition({ type: 'SignalReceived', data: { v: 1, step: 'paid', signal: 'payment', data: { amount: 1 } } }, 'key-ops'))).toBe(
      '  paid           signal       payment {"amount":1} (by key-ops)',
    );
    expect(formatTransition(transition({ type: 'SignalTimedOut', data: { v: 1, step: 'paid', signal: 'payment', timeoutAt: at, policy: 'continue' } }))).toBe(
      `  paid           timed out    no signal payment by ${at} → continue`,
    );
    expect(formatTransition(transition({ type: 'RouteChosen', data: { v: 1, step: 'again', chose: 'check', to: 'check', loops: 2 } }))).toBe(
      '  again          route        → check (loops so far: 2)',
    );
    expect(
      formatTransition(transition({ type: 'RouteChosen', data: { v: 1, step: 'again', chose: 'check', to: 'receipt', loops: 3, capReached: true } })),
    ).toBe('  again          route        chose check: loop cap reached after 3 → receipt');
    expect(formatTransition(transition({ type: 'HumanDecisionReceived', data: { v: 1, step: 'sign', decision: 'approve', note: 'ok by me' } }, 'key-1'))).toBe(
      '  sign           approve      "ok by me" (by key-1)',
    );
  });
});

describe('closing summary of a workflow waiting for a signal', () => {
  const view = {
    workflowId: 'w',
    definition: 'invoice',
    version: 1,
    status: 'waiting',
    state: 'paid.waiting',
    value: { paid: 'waiting' },
    revision: 7,
    accepts: ['payment', 'CANCEL'],
    waitingFor: { step: 'paid', kind: 'signal', signal: 'payment', timeoutAt: at },
    output: null,
    reason: null,
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    context: {} as never,
  } as WorkflowView;

  it('names the signal and its timeout, and shows how to send it with the fields of its data', () => {
    const registry = createRegistry([invoice]);
    expect(summarize(view, 'ecl send', registry)).toEqual({
      lines: [`Waiting for signal payment at paid.waiting until ${at}: payment, CANCEL`, `  e.g. ecl send w payment --data '{"amount": …, "currency": …}'`],
      exitCode: 1,
    });
    expect(summarize(view, 'ecl send').lines[1]).toBe("  e.g. ecl send w payment --data '<json>'");
  });

  it('names the fields also when the schema, declared in outputs, may be null (a step that goes on after its timeout)', () => {
    const nullable = defineWorkflow({
      name: 'invoice',
      version: 1,
      input: z.object({}),
      outputs: { paid: z.object({ amount: z.number(), currency: z.string() }).nullable() },
      steps: [
        { kind: 'produce', name: 'bill', run: async () => 'bill' },
        { kind: 'signal', name: 'paid', signal: 'payment', timeoutMs: 1_000, onTimeout: 'continue' },
      ],
    });
    expect(summarize(view, 'ecl send', createRegistry([nullable])).lines[1]).toBe(`  e.g. ecl send w payment --data '{"amount": …, "currency": …}'`);
  });

  it('repeats the --workflows, --store, --llm and --artifacts the command was given, so the hint works as printed', () => {
    const flags = repeatedFlags({ workflows: ['src/workflows.ts'], store: "sqlite:/tmp/my store's.db", llm: 'script:s.json', artifacts: 'out' });
    expect(flags).toBe(` --workflows src/workflows.ts --store 'sqlite:/tmp/my store'\\''s.db' --llm script:s.json --artifacts out`);
    expect(summarize(view, 'ecl send', undefined, flags).lines[1]).toBe(`  e.g. ecl send w payment --data '<json>'${flags}`);
    expect(repeatedFlags({})).toBe('');
  });
});

describe('ecl status of waits and timers', () => {
  const base: WorkflowStatusRow = {
    workflowId: 'w',
    tenant: null,
    definition: 'invoice',
    version: 1,
    status: 'running',
    state: { grace: 'sleeping' },
    currentStep: 'grace',
    iterations: { bill: 1 },
    revision: 5,
    createdAt: at,
    updatedAt: at,
    output: null,
    artifact: null,
    error: null,
    reason: null,
    accepts: ['CANCEL'],
    deadline: { at: '2026-01-08T00:00:00.000Z', onPass: 'fail' },
  };

  it('says sleeping until, retrying at, waiting for signal (until), with accepts and the deadline', () => {
    const sleeping = formatStatus({ ...base, wakeAt: at, wakeReason: 'sleep' });
    expect(sleeping[0]).toBe(`w  invoice v1  running · sleeping until ${at}`);
    expect(sleeping).toContain('  accepts     CANCEL');
    expect(sleeping).toContain('  deadline    2026-01-08T00:00:00.000Z (then fail)');
    expect(formatStatus({ ...base, currentStep: 'bill', wakeAt: at, wakeReason: 'retry' })[0]).toBe(`w  invoice v1  running · retrying at ${at}`);
    const waiting: WorkflowStatusRow = {
      ...base,
      status: 'waiting',
      currentStep: 'paid',
      accepts: ['payment', 'CANCEL'],
      waitingFor: { step: 'paid', kind: 'signal', signal: 'payment', timeoutAt: at },
    };
    expect(formatStatus(waiting)[0]).toBe(`w  invoice v1  waiting for signal payment (until ${at})`);
    expect(formatStatus({ ...waiting, waitingFor: { step: 'paid', kind: 'signal', signal: 'payment' } })[0]).toBe('w  invoice v1  waiting for signal payment');
    expect(formatStatus({ ...waiting, currentStep: 'sign', waitingFor: { step: 'sign', kind: 'approval' } })[0]).toBe(
      'w  invoice v1  waiting for approval at sign',
    );
    expect(formatStatusTable([waiting, { ...base, workflowId: 'v', wakeAt: at, wakeReason: 'sleep' }]).map((line) => line.replace(/ +/g, ' '))).toEqual([
      'ID DEFINITION STATUS STEP REV UPDATED',
      `w invoice v1 waiting paid (signal payment) 5 ${at}`,
      `v invoice v1 running grace (sleeping) 5 ${at}`,
    ]);
  });

  it("lists a live workflow's unfinished children with what each waits for", () => {
    const child = (id: string, extra: Partial<WorkflowStatusRow>): WorkflowStatusRow => ({ ...base, workflowId: id, definition: 'escalate', ...extra });
    const lines = formatStatus({ ...base, currentStep: 'escalate' }, [
      child('w.esc-1', { status: 'waiting', waitingFor: { step: 'gate', kind: 'approval' } }),
      child('w.esc-2', { status: 'running' }),
    ]);
    expect(lines.slice(-2)).toEqual(['  children    w.esc-1  escalate v1  waiting for approval at gate', '              w.esc-2  escalate v1  running']);
  });

  it('reads one small page per unfinished status and keeps only the children that name the parent (an older server ignores ?parent=)', async () => {
    const child = (id: string, parent: string, status: WorkflowStatusRow['status']): WorkflowStatusRow => ({
      ...base,
      workflowId: id,
      status,
      parent: { workflowId: parent, step: 'escalate', call: 'child' },
    });
    const queries: { parent: string; status: string; limit: number }[] = [];
    const found = await unfinishedChildren('w', async (query) => {
      queries.push(query);
      const all = [
        child('w.a', 'w', 'waiting'),
        child('x.a', 'x', 'waiting'),
        child('w.b', 'w', 'running'),
        { ...base, workflowId: 'top', status: 'blocked' as const },
      ];
      return { items: all.filter((row) => row.status === query.status), more: query.status === 'running' };
    });
    expect(queries.map((query) => query.status).sort()).toEqual(['blocked', 'running', 'waiting']);
    expect(queries.every((query) => query.parent === 'w' && query.limit === 20)).toBe(true);
    expect(found.children.map((row) => row.workflowId)).toEqual(['w.a', 'w.b']);
    expect(found.more).toBe(true);
    expect(formatStatus({ ...base, currentStep: 'escalate' }, found.children, found.more).at(-1)).toBe('              and maybe more: ecl list --parent w');
  });
});

describe('what Ctrl-C says it leaves behind', () => {
  const at = (state: string, extra: Partial<WorkflowView> = {}) =>
    ({ workflowId: 'w', status: state.endsWith('.waiting') ? 'waiting' : 'running', state, ...extra }) as WorkflowView;

  it('a step in flight re-runs; a sleep or a wait loses nothing', () => {
    expect(stoppingLine('w', at('draft.running', { step: 'draft' }))).toBe(
      'Stopping: the step in flight (draft) is left without outcome and re-runs on resume (ecl serve, ecl worker, or ecl run … --id w).',
    );
    expect(stoppingLine('w', at('pause.sleeping', { wakeAt: '2030-01-02T00:00:00.000Z' }))).toBe(
      'Stopping: nothing was in flight; w wakes at 2030-01-02T00:00:00.000Z in whichever engine runs it then (ecl serve, ecl worker, or ecl run … --id w).',
    );
    expect(stoppingLine('w', at('reply.waiting'))).toBe('Stopping: nothing was in flight; w is reply.waiting.');
    expect(stoppingLine(undefined, undefined)).toBe('Stopping: the step in flight, if any, is left without outcome and re-runs on resume.');
    // `ecl run --id` takes no tenant prefix: a workflow started through the API is resumed by an engine on the store.
    expect(stoppingLine('acme:w', { ...at('pause.sleeping', { wakeAt: '2030-01-02T00:00:00.000Z' }), workflowId: 'acme:w' })).toBe(
      'Stopping: nothing was in flight; acme:w wakes at 2030-01-02T00:00:00.000Z in whichever engine runs it then (ecl serve or ecl worker).',
    );
  });
});
