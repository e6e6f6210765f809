import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RetryableError, defineWorkflow } from 'ecl-workflows';
import { createManualClock, createTestEngine } from 'ecl-workflows/testing';

const HOUR = 3_600_000;
const manual = () => createManualClock('2030-01-01T00:00:00.000Z', { autoAdvance: false });

describe('without autoAdvance, run() stops at the timer its own workflow waits for', () => {
  it("one run reaching a retry's backoff does not end another run whose step is still working", async () => {
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = defineWorkflow({
      name: 'slow',
      version: 1,
      input: z.object({}),
      steps: [{ kind: 'produce', name: 'work', run: async () => (await held, 'done') }],
    });
    const retrier = defineWorkflow({
      name: 'retrier',
      version: 1,
      input: z.object({}),
      steps: [{ kind: 'produce', name: 'fetch', retry: { initialDelayMs: HOUR }, run: async () => Promise.reject(new RetryableError('busy')) }],
    });
    const t = createTestEngine({ definitions: [slow, retrier], clock: manual() });
    let slowView: unknown;
    const slowRun = t.run(slow, {}, { id: 'slow-1' }).then((view) => (slowView = view));
    expect(await t.run(retrier, {}, { id: 'retry-1' })).toMatchObject({ status: 'running', wakeAt: '2030-01-01T01:00:00.000Z' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(slowView).toBeUndefined();
    release();
    await slowRun;
    expect(slowView).toMatchObject({ status: 'completed', output: 'done' });
    await t.close();
  });

  it('a parent whose child sleeps stops there too (the wait its drive reached is the child’s)', async () => {
    const napper = defineWorkflow({ name: 'napper', version: 1, input: z.object({}), steps: [{ kind: 'sleep', name: 'nap', for: HOUR }] });
    const parent = defineWorkflow({
      name: 'parent',
      version: 1,
      input: z.object({}),
      steps: [{ kind: 'produce', name: 'call', run: async (ctx) => (await ctx.child('nap', napper, {}), 'woke') }],
    });
    const t = createTestEngine({ definitions: [napper, parent], clock: manual() });
    expect(await t.run(parent, {}, { id: 'p-1' })).toMatchObject({ status: 'running', state: 'call.running' });
    await t.clock.advance(HOUR);
    expect(await t.settled('p-1')).toMatchObject({ status: 'completed', output: 'woke' });
    await t.close();
  });
});

describe("with autoAdvance, the clock's jump to one workflow's timer does not time out another's step at work", () => {
  it('a sleeper runs to its end an hour later; the step of another workflow, working meanwhile under a one-minute timeout, completes', async () => {
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let working = false;
    const sleeper = defineWorkflow({
      name: 'sleeper',
      version: 1,
      input: z.object({}),
      steps: [
        { kind: 'sleep', name: 'nap', for: HOUR },
        { kind: 'produce', name: 'done', run: async () => 'rested' },
      ],
    });
    const worker = defineWorkflow({
      name: 'worker',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'work',
          timeoutMs: 60_000,
          // w-1 works until the test releases it; w-2 never answers.
          run: async (ctx) => ((working = true), await (ctx.workflowId === 'w-1' ? held : new Promise<never>(() => undefined)), 'worked'),
        },
      ],
    });
    const t = createTestEngine({ definitions: [sleeper, worker] });
    const workerRun = t.run(worker, {}, { id: 'w-1' });
    for (let turn = 0; turn < 100 && !working; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(await t.run(sleeper, {}, { id: 's-1' })).toMatchObject({ status: 'completed', output: 'rested' });
    expect(t.clock.now().toISOString()).toBe('2030-01-01T01:00:00.000Z');
    release();
    expect(await workerRun).toMatchObject({ status: 'completed', output: 'worked' });
    // The test's own advance does fire a step's deadline.
    working = false;
    const hung = t.run(worker, {}, { id: 'w-2' });
    for (let turn = 0; turn < 100 && !working; turn++) await new Promise((resolve) => setImmediate(resolve));
    await t.clock.advance(60_000);
    expect(await hung).toMatchObject({ status: 'failed', reason: expect.stringContaining('did not finish by 2030-01-01T01:01:00.000Z') as string });
    await t.close();
  });

  it("a step waiting on a child that sleeps is on the child's time: the jump to the child's timer passes the step's deadline and fires it, as production would", async () => {
    const napper = defineWorkflow({ name: 'napper', version: 1, input: z.object({}), steps: [{ kind: 'sleep', name: 'nap', for: HOUR }] });
    const impatient = defineWorkflow({
      name: 'impatient',
      version: 1,
      input: z.object({}),
      steps: [{ kind: 'produce', name: 'ask', timeoutMs: 60_000, run: async (ctx) => (await ctx.child('nap', napper, {}), 'woke') }],
    });
    const t = createTestEngine({ definitions: [napper, impatient] });
    const view = await t.run(impatient, {}, { id: 'i-1' });
    expect(view).toMatchObject({ status: 'failed', reason: expect.stringContaining('did not finish by 2030-01-01T00:01:00.000Z') as string });
    // The child it no longer waits for is cancelled.
    const children = (await t.audit('i-1')).descendants;
    expect(children.map((child) => [child.definition, child.status])).toEqual([['napper', 'cancelled']]);
    await t.close();
  });
});
