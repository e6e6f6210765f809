import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RetryableError, TerminalError, defineWorkflow, type RetryPolicy } from 'ecl-workflows';
import { createTestEngine, replayHistories } from 'ecl-workflows/testing';
import { workflowStream } from '../../src/eventstore/index.js';
import { restartableEngine } from './support/restartableEngine.js';

/** A step that throws `errors` in turn (one per attempt), then returns `done`. */
function flaky(errors: unknown[], retry?: RetryPolicy) {
  const calls = { count: 0 };
  const definition = defineWorkflow({
    name: 'flaky',
    version: 1,
    input: z.object({}),
    steps: [
      {
        kind: 'produce',
        name: 'fetch',
        ...(retry === undefined ? {} : { retry }),
        run: async () => {
          const error = errors[calls.count++];
          if (error !== undefined) throw error as Error;
          return 'done';
        },
      },
    ],
  });
  return { definition, calls };
}

const attemptsOf = (events: { type: string; data: unknown }[]) =>
  events.flatMap((event) =>
    event.type === 'StepFailed'
      ? [
          `failed#${(event.data as { attempt: number }).attempt}:${(event.data as { error: { code: string } }).error.code}${(event.data as { retryAt?: string }).retryAt === undefined ? '' : ' retry'}`,
        ]
      : event.type === 'StepCompleted'
        ? [`completed#${(event.data as { attempt: number }).attempt}`]
        : [],
  );

describe('retry policies per step', () => {
  it("a side effect in ctx.run through an outage: the step's policy retries it as recorded attempts, a minute apart, and the calls before it are not made again", async () => {
    let charges = 0;
    const receipts: string[] = [];
    const pay = defineWorkflow({
      name: 'pay',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'charge',
          retry: { maxAttempts: 5, initialDelayMs: 60_000, maxDelayMs: 60_000 },
          run: async (ctx) => {
            const receipt = await ctx.run('receipt', () => {
              receipts.push(`receipt#${ctx.attempt}`);
              return 'r-1';
            });
            return ctx.run('charge', () => {
              if (++charges <= 3) throw new RetryableError(`payments API 503 (call ${charges})`, { code: 'API_BUSY' });
              return { receipt, charged: true };
            });
          },
        },
      ],
    });
    // No retries inside the call: each failure is the attempt's.
    const t = createTestEngine({ definitions: [pay], retry: { maxAttempts: 1 } });
    const start = t.clock.now().getTime();
    expect(await t.run(pay, {}, { id: 'pay1' })).toMatchObject({ status: 'completed', output: { receipt: 'r-1', charged: true } });
    expect(charges).toBe(4);
    expect(receipts).toEqual(['receipt#1']);
    const history = await t.history('pay1');
    expect(attemptsOf(history)).toEqual(['failed#1:API_BUSY retry', 'failed#2:API_BUSY retry', 'failed#3:API_BUSY retry', 'completed#4']);
    const retryAts = history.flatMap((event) => (event.type === 'StepFailed' ? [Date.parse((event.data as { retryAt: string }).retryAt) - start] : []));
    expect(retryAts).toEqual([60_000, 120_000, 180_000]);
    await replayHistories([pay], [{ workflowId: 'pay1', events: history }]);
    await t.close();
  });

  it("a fan-out item's retryable failure: the step's retry runs that item again and replays the finished ones", async () => {
    const runs: string[] = [];
    const grade = defineWorkflow({
      name: 'grade',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'grade',
          retry: { maxAttempts: 2, initialDelayMs: 1_000 },
          run: async (ctx) =>
            ctx.map(
              'doc',
              ['a', 'b', 'c'],
              (doc) => {
                runs.push(`${doc}#${ctx.attempt}`);
                if (doc === 'b' && ctx.attempt === 1) throw new RetryableError('grader busy', { code: 'BUSY' });
                return doc.toUpperCase();
              },
              { concurrency: 1 },
            ),
        },
      ],
    });
    const t = createTestEngine({ definitions: [grade], retry: { maxAttempts: 1 } });
    expect(await t.run(grade, {}, { id: 'g1' })).toMatchObject({ status: 'completed', output: ['A', 'B', 'C'] });
    expect(runs).toEqual(['a#1', 'b#1', 'b#2', 'c#2']);
    expect(attemptsOf(await t.history('g1'))).toEqual(['failed#1:BUSY retry', 'completed#2']);
    await t.close();
  });

  it('a network error retries by default (a plain Error with ECONNRESET, a fetch TypeError caused by one), each a recorded attempt', async () => {
    const reset = new Error('read ECONNRESET');
    const fetchFailed = new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    const { definition, calls } = flaky([reset, fetchFailed]);
    const t = createTestEngine({ definitions: [definition] });
    expect(await t.run(definition, {}, { id: 'n1' })).toMatchObject({ status: 'completed', output: 'done' });
    expect(calls.count).toBe(3);
    expect(attemptsOf(await t.history('n1'))).toEqual(['failed#1:ACTIVITY_ERROR retry', 'failed#2:ACTIVITY_ERROR retry', 'completed#3']);
    await replayHistories([definition], [{ workflowId: 'n1', events: await t.history('n1') }]);
    await t.close();
  });

  it('a TerminalError and a programming error fail at once; a RetryableError retries', async () => {
    for (const [error, expected] of [
      [new TerminalError('card declined', { code: 'DECLINED' }), ['failed#1:DECLINED']],
      [new TypeError("Cannot read properties of undefined (reading 'x')"), ['failed#1:ACTIVITY_ERROR']],
      [new RetryableError('rate limited'), ['failed#1:RETRYABLE retry', 'completed#2']],
    ] as const) {
      const { definition } = flaky([error]);
      const t = createTestEngine({ definitions: [definition] });
      await t.run(definition, {}, { id: 'x' });
      expect(attemptsOf(await t.history('x'))).toEqual(expected);
      await t.close();
    }
  });

  it('the step policy sets the attempts and the backoff, recorded as due times; attempts after a crash count too', async () => {
    const busy = () => new RetryableError('busy');
    const { definition, calls } = flaky([busy(), busy(), busy(), busy()], { maxAttempts: 4, initialDelayMs: 10_000, maxDelayMs: 25_000 });
    const t = createTestEngine({ definitions: [definition] });
    const start = t.clock.now().getTime();
    expect(await t.run(definition, {}, { id: 'p1' })).toMatchObject({ status: 'failed', reason: 'Step "fetch" failed: busy' });
    expect(calls.count).toBe(4);
    const failures = (await t.history('p1')).filter((event) => event.type === 'StepFailed').map((event) => event.data as { retryAt?: string });
    expect(failures.map((failure) => (failure.retryAt === undefined ? null : Date.parse(failure.retryAt) - start))).toEqual([
      10_000,
      10_000 + 20_000,
      10_000 + 20_000 + 25_000,
      null,
    ]);
    const { definition: once } = flaky([busy()], { maxAttempts: 1 });
    const t2 = createTestEngine({ definitions: [once] });
    expect(await t2.run(once, {}, { id: 'p2' })).toMatchObject({ status: 'failed' });
    expect(attemptsOf(await t2.history('p2'))).toEqual(['failed#1:RETRYABLE']);
    await t.close();
    await t2.close();
  });
});

describe('a step timeout with onTimeout: retry', () => {
  const slowOnce = () => {
    const calls = { count: 0 };
    const definition = defineWorkflow({
      name: 'slow_once',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'fetch',
          timeoutMs: 50,
          onTimeout: 'retry',
          retry: { maxAttempts: 2, initialDelayMs: 1_000 },
          run: async (ctx) => {
            calls.count++;
            if (ctx.attempt === 1) await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
            return `done on attempt ${ctx.attempt}`;
          },
        },
      ],
    });
    return { definition, calls };
  };

  it("retries a timed-out attempt as a recorded attempt; the last attempt's timeout fails the step", async () => {
    const { definition, calls } = slowOnce();
    const t = createTestEngine({ definitions: [definition] });
    await t.engine.start(definition, {}, { id: 'to1' });
    for (let turn = 0; turn < 50 && calls.count === 0; turn++) await new Promise((resolve) => setImmediate(resolve));
    // The timeout is on the engine's clock: nothing but the clock ends attempt 1, which waits for its signal.
    await t.clock.advance(50);
    expect(await t.settled('to1')).toMatchObject({ status: 'completed', output: 'done on attempt 2' });
    expect(calls.count).toBe(2);
    const failed = (await t.history('to1')).find((event) => event.type === 'StepFailed');
    expect(failed?.data).toMatchObject({ attempt: 1, error: { code: 'STEP_TIMEOUT', retryable: true }, retryAt: expect.any(String) });
    await replayHistories([definition], [{ workflowId: 'to1', events: await t.history('to1') }]);
    await t.close();
  });

  it('a timeout that passed while no process ran the step is retried at recovery too', async () => {
    const { definition, calls } = slowOnce();
    const { store, clock, make } = restartableEngine([definition]);
    const first = make();
    await first.start(definition, {}, { id: 'to2' });
    for (let turn = 0; turn < 5 && calls.count === 0; turn++) await new Promise((resolve) => setImmediate(resolve));
    // The process dies with attempt 1 in flight (no outcome recorded); its due time passes while it is down.
    void first.close();
    await clock.advance(60_000);
    const second = make();
    await second.recover();
    expect(await second.settled('to2')).toMatchObject({ status: 'completed', output: 'done on attempt 2' });
    const events = (await store.readStream(workflowStream('to2'))).filter((event) => event.type === 'StepFailed');
    expect(events.map((event) => [event.metadata.sender, (event.data as { retryAt?: string }).retryAt !== undefined])).toEqual([['timer', true]]);
    await second.close();
  });
});

describe('workflow deadlines', () => {
  const slow = (onPass?: 'fail' | 'cancel') =>
    defineWorkflow({
      name: 'slow',
      version: 1,
      input: z.object({ hours: z.number() }),
      deadline: { afterMs: ({ hours }) => hours * 3_600_000, ...(onPass === undefined ? {} : { onPass }) },
      steps: [
        { kind: 'produce', name: 'draft', run: async () => 'draft' },
        { kind: 'signal', name: 'approved', signal: 'approved' },
        { kind: 'produce', name: 'publish', run: async () => 'published' },
      ],
    });

  it('is recorded at start; when it passes, the workflow fails (DEADLINE_PASSED) whatever it waits for', async () => {
    const definition = slow();
    const t = createTestEngine({ definitions: [definition] });
    expect(await t.run(definition, { hours: 2 }, { id: 'd1' })).toMatchObject({ status: 'waiting' });
    const started = (await t.history('d1'))[0];
    expect(started?.data).toMatchObject({ policies: { deadline: { at: '2030-01-01T02:00:00.000Z', onPass: 'fail' } } });
    await t.clock.advance(2 * 3_600_000);
    expect(await t.engine.settled('d1')).toMatchObject({ status: 'failed', reason: 'The workflow did not finish by its deadline 2030-01-01T02:00:00.000Z' });
    const last = (await t.history('d1')).at(-1);
    expect(last).toMatchObject({ type: 'WorkflowFailed', data: { error: { code: 'DEADLINE_PASSED' } }, metadata: { sender: 'timer' } });
    await replayHistories([definition], [{ workflowId: 'd1', events: await t.history('d1') }]);
    await t.close();
  });

  it('`cancel` cancels instead; a workflow that finishes in time is untouched', async () => {
    const definition = slow('cancel');
    const t = createTestEngine({ definitions: [definition] });
    await t.run(definition, { hours: 1 }, { id: 'd2' });
    await t.clock.advance(3_600_000);
    expect(await t.engine.settled('d2')).toMatchObject({ status: 'cancelled' });
    await t.run(definition, { hours: 1 }, { id: 'd3' });
    expect(await t.send('d3', { type: 'approved' })).toMatchObject({ status: 'completed', output: 'published' });
    await t.clock.advance(3_600_000);
    expect(await t.engine.get('d3')).toMatchObject({ status: 'completed' });
    await t.close();
  });

  it('passes while a step runs: the step is aborted and its late outcome is not recorded', async () => {
    let release: (() => void) | undefined;
    const hanging = defineWorkflow({
      name: 'hanging',
      version: 1,
      input: z.object({}),
      deadline: { afterMs: 60_000 },
      steps: [
        {
          kind: 'produce',
          name: 'work',
          run: async (ctx) => {
            await new Promise<void>((resolve) => {
              release = resolve;
            });
            return ctx.signal.aborted ? 'aborted' : 'finished';
          },
        },
      ],
    });
    const t = createTestEngine({ definitions: [hanging] });
    await t.engine.start(hanging, {}, { id: 'd4' });
    for (let turn = 0; turn < 5 && release === undefined; turn++) await new Promise((resolve) => setImmediate(resolve));
    await t.clock.advance(60_000);
    expect(await t.engine.settled('d4')).toMatchObject({ status: 'failed', reason: expect.stringMatching(/deadline/) });
    release?.();
    await t.engine.settled('d4');
    const types = (await t.history('d4')).map((event) => event.type);
    expect(types).toEqual(['WorkflowStarted', 'StepStarted', 'WorkflowFailed']);
    await t.close();
  });

  it('is armed again at recovery for a workflow waiting for a person', async () => {
    const gated = defineWorkflow({
      name: 'gated',
      version: 1,
      input: z.object({}),
      deadline: { afterMs: 3_600_000 },
      steps: [
        { kind: 'produce', name: 'draft', run: async () => 'draft' },
        { kind: 'approval', name: 'review' },
      ],
    });
    const { clock, make } = restartableEngine([gated]);
    const first = make();
    await first.start('gated', {}, { id: 'g1' });
    expect(await first.settled('g1')).toMatchObject({ status: 'waiting' });
    await first.close();
    const second = make();
    await second.recover();
    await clock.advance(3_600_000);
    expect(await second.settled('g1')).toMatchObject({ status: 'failed', reason: expect.stringMatching(/deadline/) });
    await second.close();
  });
});
