import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkflow, type WorkflowEvent } from 'ecl-workflows';
import { createManualClock, createTestEngine, replayHistories } from 'ecl-workflows/testing';
import { workflowStream } from '../../src/eventstore/index.js';
import { restartableEngine } from './support/restartableEngine.js';

const DAY = 24 * 60 * 60 * 1000;

/** Draft, sleep (a duration from the input, or until an instant in it), then remind. */
const reminder = defineWorkflow({
  name: 'reminder',
  version: 1,
  input: z.object({ days: z.number().optional(), until: z.string().optional() }),
  steps: [
    { kind: 'produce', name: 'draft', run: async () => 'draft' },
    {
      kind: 'sleep',
      name: 'wait',
      until: ({ input, outputs }) =>
        input.until ?? new Date(Date.parse('2030-01-01T00:00:00.000Z') + (input.days ?? 2) * DAY + (outputs.draft === 'draft' ? 0 : 1)),
    },
    { kind: 'produce', name: 'remind', run: async (ctx) => `reminded after ${String(ctx.outputs.draft)}` },
  ],
});

const nap = defineWorkflow({
  name: 'nap',
  version: 1,
  input: z.object({ ms: z.number() }),
  steps: [
    { kind: 'sleep', name: 'nap', for: ({ input }) => input.ms },
    { kind: 'produce', name: 'wake', run: async () => 'awake' },
  ],
});

/** A few macrotask turns: the engine appends and arms its timers. */
const turns = async (count = 5): Promise<void> => {
  for (let index = 0; index < count; index++) await new Promise((resolve) => setImmediate(resolve));
};

const types = (events: { type: string }[]) => events.map((event) => event.type);

describe('sleep: a durable timer', () => {
  it("records the due time, waits on the simulated clock, then goes on; the wake-up is the timer's", async () => {
    const t = createTestEngine({ definitions: [reminder] });
    const started = await t.engine.start('reminder', { days: 2 }, { id: 'r1' });
    expect(started.view.status).toBe('running');
    await turns();
    const sleeping = await t.engine.get('r1');
    expect(sleeping).toMatchObject({ status: 'running', state: 'wait.sleeping', wakeAt: '2030-01-03T00:00:00.000Z' });
    await t.clock.advance(DAY);
    expect(await t.engine.get('r1')).toMatchObject({ state: 'wait.sleeping' });
    await t.clock.advance(DAY);
    const done = await t.engine.settled('r1');
    expect(done).toMatchObject({ status: 'completed', output: 'reminded after draft' });
    const history = await t.history('r1');
    expect(types(history)).toEqual([
      'WorkflowStarted',
      'StepStarted',
      'StepCompleted',
      'SleepStarted',
      'SleepEnded',
      'StepStarted',
      'StepCompleted',
      'WorkflowCompleted',
    ]);
    const ended = history.find((event) => event.type === 'SleepEnded');
    expect(ended?.metadata).toMatchObject({ sender: 'timer', at: '2030-01-03T00:00:00.000Z' });
    await replayHistories([reminder], [{ workflowId: 'r1', events: history }]);
    await t.close();
  });

  it('with autoAdvance: false, run() returns once the workflow waits for its timer; advance() moves it on', async () => {
    const t = createTestEngine({ definitions: [reminder], clock: createManualClock('2030-01-01T00:00:00.000Z', { autoAdvance: false }) });
    expect(t.clock.autoAdvance).toBe(false);
    const sleeping = await t.run(reminder, { days: 2 }, { id: 'r0' });
    expect(sleeping).toMatchObject({ status: 'running', state: 'wait.sleeping', wakeAt: '2030-01-03T00:00:00.000Z' });
    expect(t.clock.now().toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(types(await t.history('r0'))).not.toContain('SleepEnded');
    await t.clock.advance(2 * DAY);
    expect(await t.engine.get('r0')).toMatchObject({ status: 'completed', output: 'reminded after draft' });
    await t.close();
  });

  it('sleeps until an instant taken from the input; run() fires the timer in no real time', async () => {
    const t = createTestEngine({ definitions: [reminder] });
    const view = await t.run('reminder', { until: '2031-06-01T12:00:00.000Z' }, { id: 'r2' });
    expect(view).toMatchObject({ status: 'completed' });
    expect(t.clock.now().toISOString()).toBe('2031-06-01T12:00:00.000Z');
    const slept = (await t.history('r2')).find((event) => event.type === 'SleepStarted');
    expect(slept?.data).toMatchObject({ step: 'wait', until: '2031-06-01T12:00:00.000Z' });
    await t.close();
  });

  it('a duration counts from when the step is entered', async () => {
    const t = createTestEngine({ definitions: [nap] });
    await t.run('nap', { ms: 1_500 }, { id: 'n1' });
    const slept = (await t.history('n1')).find((event) => event.type === 'SleepStarted');
    expect(slept?.data).toMatchObject({ until: '2030-01-01T00:00:01.500Z' });
    await t.close();
  });

  it('a due time that passed while the process was down fires at start; a pending one is re-armed', async () => {
    const { store, clock, make } = restartableEngine([nap]);
    const first = make();
    await first.start('nap', { ms: 60_000 }, { id: 'late' });
    await first.start('nap', { ms: 10 * 60_000 }, { id: 'later' });
    await turns();
    expect(await first.get('late')).toMatchObject({ state: 'nap.sleeping' });
    await first.close();
    // Down for five minutes: "late" came due, "later" did not.
    await clock.advance(5 * 60_000);
    const second = make();
    await second.recover();
    expect(await second.settled('late')).toMatchObject({ status: 'completed' });
    expect(await second.get('later')).toMatchObject({ state: 'nap.sleeping' });
    await clock.advance(5 * 60_000);
    expect(await second.settled('later')).toMatchObject({ status: 'completed' });
    const late = (await store.readStream(workflowStream('late'))).map((record) => ({ type: record.type, data: record.data }) as WorkflowEvent);
    expect(late.find((event) => event.type === 'SleepEnded')).toMatchObject({ data: { until: '2030-01-01T00:01:00.000Z' } });
    await second.close();
  });

  it('sleeping workflows wake although their actors left memory', async () => {
    const { clock, make } = restartableEngine([nap], { maxIdleActors: 1 });
    const engine = make();
    for (let index = 0; index < 20; index++) await engine.start('nap', { ms: 1_000 + index }, { id: `w${index}` });
    await turns();
    await engine.passivate();
    expect(engine.liveCount()).toBeLessThan(20);
    await clock.advance(2_000);
    for (let index = 0; index < 20; index++) expect(await engine.settled(`w${index}`)).toMatchObject({ status: 'completed', output: 'awake' });
    await engine.close();
  });

  it('advance fires each timer at its due time and lets the work it starts run before time moves on', async () => {
    // Two naps in a row: the second counts from when the first woke, not from where advance ends.
    const twice = defineWorkflow({
      name: 'twice',
      version: 1,
      input: z.object({}),
      steps: [
        { kind: 'sleep', name: 'first', for: 4 * 3_600_000 },
        {
          kind: 'produce',
          name: 'between',
          // Work that takes many turns: journaled calls and a model call, each recorded before the next.
          run: async (ctx) => {
            for (const name of ['a', 'b', 'c']) await ctx.run(name, async () => name);
            return (await ctx.complete({ messages: [{ role: 'user', content: 'wake up' }] })).text;
          },
        },
        { kind: 'sleep', name: 'second', for: 2 * DAY },
        { kind: 'produce', name: 'after', run: async () => 'done' },
      ],
    });
    const t = createTestEngine({ definitions: [twice] });
    await t.engine.start(twice, {}, { id: 'tw1' });
    await turns();
    await t.clock.advance(5 * 3_600_000);
    expect(await t.engine.get('tw1')).toMatchObject({ state: 'second.sleeping', wakeAt: '2030-01-03T04:00:00.000Z' });
    const recorded = (await t.history('tw1')).filter((event) => ['SleepStarted', 'SleepEnded', 'CallCompleted', 'StepCompleted'].includes(event.type));
    expect(recorded.map((event) => [event.type, event.metadata.at])).toEqual([
      ['SleepStarted', '2030-01-01T00:00:00.000Z'],
      ['SleepEnded', '2030-01-01T04:00:00.000Z'],
      ...['a', 'b', 'c', 'complete#1'].map(() => ['CallCompleted', '2030-01-01T04:00:00.000Z']),
      ['StepCompleted', '2030-01-01T04:00:00.000Z'],
      ['SleepStarted', '2030-01-01T04:00:00.000Z'],
    ]);
    await t.clock.advance(2 * DAY);
    expect(await t.engine.settled('tw1')).toMatchObject({ status: 'completed', output: 'done' });
    await t.close();
  });

  it('a definition needs exactly one of for and until', () => {
    expect(() =>
      defineWorkflow({
        name: 'bad',
        version: 1,
        input: z.object({}),
        steps: [
          { kind: 'sleep', name: 'nap' },
          { kind: 'produce', name: 'p', run: async () => 1 },
        ],
      }),
    ).toThrow(/sleep step "nap" needs exactly one of for and until/);
  });

  it('a sleep function that throws fails the workflow, naming the step', async () => {
    const broken = defineWorkflow({
      name: 'broken',
      version: 1,
      input: z.object({}),
      steps: [{ kind: 'sleep', name: 'nap', until: () => 'not a date' }],
    });
    const t = createTestEngine({ definitions: [broken] });
    expect(await t.run('broken', {}, { id: 'b1' })).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/Sleep step "nap" could not be entered: .*not a valid date/),
    });
    await t.close();
  });
});
