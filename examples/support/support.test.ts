// The example's own tests, written as a user of the package writes them (run here by vitest).
import { readFileSync } from 'node:fs';
import { createScriptedProvider, createTestEngine, replayHistories, type TestEngine } from 'ecl-workflows/testing';
import type { StartInput } from 'ecl-workflows';
import { afterEach, describe, expect, it } from 'vitest';
import { support } from './support.js';
import { outbox } from './tools.js';

/** What starting the workflow takes: its input schema's input type (defaults optional). */
type SupportInput = StartInput<typeof support>;
const read = (name: string) => JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8')) as SupportInput;
const normal = read('./input.json');
const urgent = read('./input-urgent.json');
const withId = (input: SupportInput, id: string): SupportInput => ({ ...input, ticket: { ...input.ticket, id } });

type Event = { type: string; data: unknown };
/** The steps that ran, as `step#iteration.attempt`, in order. */
const stepsRun = (events: Event[]) =>
  events.flatMap((event) => {
    const data = event.data as { step: string; iteration: number; attempt: number };
    return event.type === 'StepStarted' ? [`${data.step}#${data.iteration}.${data.attempt}`] : [];
  });
/**
 * Starts a workflow and drives it until it finishes or waits for a signal: `t.run`, whose simulated
 * clock jumps to the workflow's own wake-ups (a retry, the end of a sleep).
 */
const run = (t: TestEngine, input: SupportInput, id: string) => t.run(support, input, { id });
/** Drives a started workflow on, after a signal or a jump of the clock. */
const drive = (t: TestEngine, id: string) => t.engine.settled(id);

const find = (events: Event[], type: string) => events.find((event) => event.type === type)?.data as Record<string, unknown> | undefined;

describe('support', () => {
  let t: TestEngine | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('a normal ticket: looked up (the CRM busy once: a recorded retry), drafted and reviewed, sent, then followed up two days later', async () => {
    t = createTestEngine({ definitions: [support] });
    const start = t.clock.now().getTime();
    const view = await run(t, withId(normal, 'T-1'), 'normal-1');
    expect(view).toMatchObject({ status: 'completed', output: { to: 'ada@example.com', messageId: 'msg-normal-1/followUp/1' } });

    const history = await t.history('normal-1');
    // The offline model reads the ticket as normal; its reviewer asks for one revision, then approves.
    expect(find(history, 'RouteChosen')).toMatchObject({ step: 'triage', chose: 'lookup', to: 'lookup' });
    expect(stepsRun(history)).toEqual([
      'classify#1.1',
      'lookup#1.1',
      'lookup#1.2',
      'draft#1.1',
      'review#1.1',
      'draft#2.1',
      'review#2.1',
      'send#1.1',
      'followUp#1.1',
    ]);
    // The busy CRM: attempt 1 failed with a due time for attempt 2, 30 s later on the simulated clock.
    const failed = find(history, 'StepFailed');
    expect(failed).toMatchObject({ step: 'lookup', attempt: 1, error: { code: 'CRM_BUSY', retryable: true } });
    expect(Date.parse(failed?.retryAt as string) - start).toBe(30_000);
    // The mail relay's reset was retried inside the journaled call: one CallCompleted, with the message id.
    const email = history.filter((event) => event.type === 'CallCompleted' && (event.data as { call: string }).call === 'email');
    expect(email.map((event) => (event.data as { output: unknown }).output)).toEqual([
      { messageId: 'msg-normal-1/send/1' },
      { messageId: 'msg-normal-1/followUp/1' },
    ]);
    // The sleep: its due time recorded, then woken by the timer two days on.
    expect(find(history, 'SleepStarted')).toMatchObject({ step: 'wait' });
    expect(Date.parse(find(history, 'SleepEnded')?.until as string) - start).toBeGreaterThanOrEqual(2 * 24 * 3_600_000);
    expect(history.at(-1)?.type).toBe('WorkflowCompleted');
    // replay --verify: the history folds again, every decision re-decided, no step or model run.
    await replayHistories([support], [{ workflowId: 'normal-1', events: history }]);
  });

  it('a P1 ticket waits for the on-call engineer: bad data is refused, their reply is sent as it is', async () => {
    t = createTestEngine({ definitions: [support] });
    const waiting = await run(t, withId(urgent, 'T-2'), 'urgent-1');
    expect(waiting).toMatchObject({
      status: 'waiting',
      accepts: ['engineer_reply', 'CANCEL'],
      waitingFor: { step: 'escalate', kind: 'signal', signal: 'engineer_reply', timeoutAt: '2030-01-01T01:00:00.000Z' },
    });

    // Built by hand: `support.signal('engineer_reply', { engineer: 'Grace' })` would not compile (no resolution).
    const refused = await t.engine.send('urgent-1', { type: 'engineer_reply', data: { engineer: 'Grace' } });
    expect(refused).toMatchObject({ accepted: false, code: 'INVALID_COMMAND', message: expect.stringMatching(/resolution/) });

    const reply = { engineer: 'Grace', resolution: 'A bad deploy broke /v2/orders; we rolled it back at 09:40.' };
    expect(await t.engine.send('urgent-1', support.signal('engineer_reply', reply))).toMatchObject({ accepted: true });
    const done = await drive(t, 'urgent-1');
    expect(done.status).toBe('completed');
    const history = await t.history('urgent-1');
    // The schema's default is applied before the data is recorded.
    expect(find(history, 'SignalReceived')).toMatchObject({ signal: 'engineer_reply', data: { ...reply, refund: false } });
    expect(stepsRun(history)).toEqual(['classify#1.1', 'send#1.1', 'followUp#1.1']);
    expect(outbox.find((message) => message.messageId === 'msg-urgent-1/send/1')?.body).toMatch(/rolled it back[\s\S]*Grace, on-call/);
    await replayHistories([support], [{ workflowId: 'urgent-1', events: history }]);
  });

  it('an escalation nobody answers times out, and the ticket takes the drafted path', async () => {
    // A scripted model this time: it reads the ticket as urgent (no P1 flag), and approves the first draft.
    const llm = createScriptedProvider({
      script: {
        steps: {
          classify: [{ output: { urgency: 'urgent', category: 'bug', summary: 'Export fails' } }],
          review: [{ output: { verdict: 'approve', feedback: 'Clear.' } }],
        },
        fallback: 'offline',
      },
    });
    t = createTestEngine({ definitions: [support], llm });
    const input = { ...withId(normal, 'T-3'), escalationHours: 4 };
    expect(await run(t, input, 'urgent-2')).toMatchObject({ status: 'waiting', waitingFor: { signal: 'engineer_reply' } });
    await t.clock.advance(4 * 3_600_000);
    const view = await drive(t, 'urgent-2');
    expect(view.status).toBe('completed');

    const history = await t.history('urgent-2');
    expect(find(history, 'SignalTimedOut')).toMatchObject({ step: 'escalate', policy: 'continue', timeoutAt: '2030-01-01T04:00:00.000Z' });
    const routes = history.filter((event) => event.type === 'RouteChosen').map((event) => event.data);
    expect(routes).toEqual([
      { v: 1, step: 'triage', chose: 'escalate', to: 'escalate', loops: 0 },
      { v: 1, step: 'afterEscalation', chose: 'lookup', to: 'lookup', loops: 0 },
    ]);
    expect(stepsRun(history)).toEqual(['classify#1.1', 'lookup#1.1', 'lookup#1.2', 'draft#1.1', 'review#1.1', 'send#1.1', 'followUp#1.1']);
    await replayHistories([support], [{ workflowId: 'urgent-2', events: history }]);
  });

  it('the deadline is recorded at start; a ticket finished in time is untouched when it passes', async () => {
    t = createTestEngine({ definitions: [support] });
    expect(await run(t, withId(urgent, 'T-4'), 'urgent-3')).toMatchObject({ status: 'waiting' });
    const started = find(await t.history('urgent-3'), 'WorkflowStarted') as { policies: { deadline: unknown } };
    // followUpDays 1 + 7 days, from the start.
    expect(started.policies.deadline).toEqual({ at: '2030-01-09T00:00:00.000Z', onPass: 'cancel' });
    await t.engine.send('urgent-3', support.signal('engineer_reply', { engineer: 'Lin', resolution: 'Fixed.' }));
    expect(await drive(t, 'urgent-3')).toMatchObject({ status: 'completed' });
    await t.clock.advance(10 * 24 * 3_600_000);
    expect(await t.engine.get('urgent-3')).toMatchObject({ status: 'completed' });
    expect((await t.history('urgent-3')).at(-1)?.type).toBe('WorkflowCompleted');
  });
});
