import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isCallFailed, isDuplicateCall, isNondeterminism, loadWorkflow, type Engine } from '../../src/actors/index.js';
import { workflowStream, type RecordedEvent } from '../../src/eventstore/index.js';
import {
  createFolder,
  createRegistry,
  defineWorkflow,
  type JsonValue,
  type StepContext,
  type WorkflowEvent,
  type WorkflowEventOf,
} from '../../src/machines/index.js';
import { replayHistories } from '../../src/testing/index.js';
import { createHarness, eventually, types, type Harness } from './support/harness.js';
import type { LlmScript } from '../../src/llm/index.js';

type CallData = WorkflowEventOf<'CallCompleted'>['data'];

/** What the `gather` step does, set per test: which calls it makes, and what each call does when it runs. */
const control = {
  /** Every time a call's function ran: `<name>#<attempt>`. */
  log: [] as string[],
  names: (_ctx: StepContext<unknown>): string[] => ['c1', 'c2', 'c3', 'c4', 'c5'],
  /** `<name>#<attempt>` that never returns on its own (a crash mid-call): it ends only when the signal aborts. */
  hang: new Set<string>(),
  /** What a call throws the n-th time it runs (n from 1), if anything. */
  failure: (_name: string, _n: number): Error | undefined => undefined,
  /** What a call returns. */
  result: (name: string): unknown => `${name} result`,
  /** The step catches failed calls and goes on. */
  catchFailures: false,
  /** Thrown by the step's own code after its calls, the n-th time it gets there. */
  afterCalls: (_n: number): Error | undefined => undefined,
};
let afterCallsRuns = 0;

const hangUntilAborted = (signal: AbortSignal) =>
  new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted by the signal')), { once: true }));

async function gather(ctx: StepContext<unknown>): Promise<JsonValue> {
  const results: JsonValue[] = [];
  for (const name of control.names(ctx)) {
    try {
      results.push(
        await ctx.run(name, async () => {
          control.log.push(`${name}#${ctx.attempt}`);
          if (control.hang.has(`${name}#${ctx.attempt}`)) await hangUntilAborted(ctx.signal);
          const failure = control.failure(name, control.log.filter((line) => line.startsWith(`${name}#`)).length);
          if (failure !== undefined) throw failure;
          return control.result(name) as JsonValue;
        }),
      );
    } catch (error) {
      if (!control.catchFailures || !isCallFailed(error)) throw error;
      results.push(`${name} failed ${error.code}`);
    }
  }
  const thrown = control.afterCalls(++afterCallsRuns);
  if (thrown !== undefined) throw thrown;
  return results;
}

const journaled = defineWorkflow({
  name: 'journaled',
  version: 1,
  input: z.object({}).default({}),
  steps: [
    { kind: 'produce', name: 'gather', run: gather },
    { kind: 'produce', name: 'after', run: async (ctx) => ctx.outputs.gather ?? null },
  ],
});

/** Three model calls in one step, each of 100 + 20 tokens and $0.01. */
const asking = defineWorkflow({
  name: 'asking',
  version: 1,
  input: z.object({}).default({}),
  steps: [
    {
      kind: 'produce',
      name: 'ask',
      run: async (ctx) => {
        const texts: string[] = [];
        for (const topic of ['one', 'two', 'three'])
          texts.push((await ctx.complete({ name: `ask ${topic}`, messages: [{ role: 'user', content: topic }] })).text);
        return texts;
      },
    },
  ],
});

/** A step that swallows every error, a duplicate name included. */
const careless = defineWorkflow({
  name: 'careless',
  version: 1,
  input: z.object({}).default({}),
  steps: [
    {
      kind: 'produce',
      name: 'twice',
      run: async (ctx) => {
        await ctx.run('same', () => 1);
        try {
          await ctx.run('same', () => 2);
        } catch {
          // swallowed: the step fails anyway
        }
        return 'done';
      },
    },
  ],
});

const answer = { usage: { inputTokens: 100, outputTokens: 20 }, costUsd: 0.01 };
const askScript: LlmScript = {
  steps: {
    ask: [
      { attempt: 1, times: 1, text: 'first', ...answer },
      { attempt: 1, times: 1, text: 'second', ...answer },
      { attempt: 1, holdMs: 'untilAborted', text: 'never' },
      { attempt: 2, text: 'third', ...answer },
    ],
  },
};

const registry = () => createRegistry([journaled, asking, careless]);
const callsOf = (events: readonly WorkflowEvent[]): CallData[] => events.flatMap((event) => (event.type === 'CallCompleted' ? [event.data] : []));
const history = async (h: Harness, id: string): Promise<RecordedEvent[]> => h.store.readStream(workflowStream(id));

/** The engine that "crashed": nothing more comes from it; closing it at the end only ends its hung call (recording nothing). */
async function crashAndRecover(h: Harness, crashed: Engine, id: string, overrides: Parameters<Harness['restart']>[0] = {}) {
  const engine = h.restart(overrides);
  expect(await engine.recover()).toMatchObject({ resumed: [id] });
  const view = await engine.settled(id);
  await crashed.close();
  await engine.close();
  return view;
}

/** `ecl replay --verify` over the stored stream: folds to the same states, re-decides every decision. */
async function expectReplayVerified(h: Harness, id: string, definitions = registry()) {
  const events = await history(h, id);
  expect(await replayHistories(definitions, [{ workflowId: id, events }])).toEqual([expect.objectContaining({ workflowId: id, folded: events.length })]);
}

/** Lets pending I/O run until an async probe holds (no wall-clock sleeping). */
async function untilAsync(probe: () => Promise<boolean>, turns = 10_000): Promise<void> {
  for (let turn = 0; turn < turns; turn++) {
    if (await probe()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('The condition never became true');
}

beforeEach(() => {
  control.log = [];
  control.names = () => ['c1', 'c2', 'c3', 'c4', 'c5'];
  control.hang = new Set();
  control.failure = () => undefined;
  control.result = (name) => `${name} result`;
  control.catchFailures = false;
  control.afterCalls = () => undefined;
  afterCallsRuns = 0;
});

describe('journaled calls inside a step', () => {
  it('records each call before the step goes on; after a crash in the third call, the re-run replays the first two and runs only the third again', async () => {
    control.hang.add('c3#1');
    const h = createHarness({ definitions: registry() });
    await h.engine.start('journaled', {}, { id: 'j1' });
    await eventually(() => control.log.includes('c3#1'));
    // Persist, then act: c3 started only after c1 and c2 were in the log.
    expect(types(await h.events('j1'))).toEqual(['WorkflowStarted', 'StepStarted', 'CallCompleted', 'CallCompleted']);

    const view = await crashAndRecover(h, h.engine, 'j1');
    expect(view).toMatchObject({ status: 'completed', output: ['c1 result', 'c2 result', 'c3 result', 'c4 result', 'c5 result'] });
    expect(control.log).toEqual(['c1#1', 'c2#1', 'c3#1', 'c3#2', 'c4#2', 'c5#2']);
    const events = await h.events('j1');
    expect(callsOf(events).map((call) => `${call.call} seq ${call.seq} attempt ${call.attempt}`)).toEqual([
      'c1 seq 0 attempt 1',
      'c2 seq 1 attempt 1',
      'c3 seq 2 attempt 2',
      'c4 seq 3 attempt 2',
      'c5 seq 4 attempt 2',
    ]);
    expect(events.find((event) => event.type === 'StepCompleted')).toMatchObject({ data: { step: 'gather', attempt: 2 } });
    // The outcome cleared the journal; the fold of the stream is the live state.
    expect(createFolder(journaled.machine).fold(events).context).toEqual(view.context);
    expect(view.context.calls).toEqual([]);
    await expectReplayVerified(h, 'j1');
  });

  it("a stream longer than recovery's scan keeps (150 calls) is read again at recovery and resumes the same way", async () => {
    const names = Array.from({ length: 150 }, (_, index) => `c${index + 1}`);
    control.names = () => names;
    control.hang.add('c150#1');
    const h = createHarness({ definitions: registry() });
    await h.engine.start('journaled', {}, { id: 'j-long' });
    await eventually(() => control.log.includes('c150#1'));
    expect(await history(h, 'j-long')).toHaveLength(151);

    const view = await crashAndRecover(h, h.engine, 'j-long');
    expect(view).toMatchObject({ status: 'completed' });
    expect(control.log).toEqual([...names.map((name) => `${name}#1`), 'c150#2']);
    await expectReplayVerified(h, 'j-long');
  });

  it('a shutdown mid-call records no outcome for the aborted call; recovery runs it again as attempt 2', async () => {
    control.hang.add('c2#1');
    const h = createHarness({ definitions: registry() });
    await h.engine.start('journaled', {}, { id: 'j2' });
    await eventually(() => control.log.includes('c2#1'));
    await h.engine.close();
    expect(callsOf(await h.events('j2')).map((call) => call.call)).toEqual(['c1']);
    const engine = h.restart();
    await engine.recover();
    expect(await engine.settled('j2')).toMatchObject({ status: 'completed' });
    await engine.close();
    expect(control.log).toEqual(['c1#1', 'c2#1', 'c2#2', 'c3#2', 'c4#2', 'c5#2']);
    await expectReplayVerified(h, 'j2');
  });

  it('a recorded failure is thrown again on the re-run, not run again: the step takes the same path', async () => {
    control.catchFailures = true;
    control.failure = (name) => (name === 'c2' ? Object.assign(new Error('no such page'), { code: 'NOT_FOUND' }) : undefined);
    control.hang.add('c4#1');
    const h = createHarness({ definitions: registry() });
    await h.engine.start('journaled', {}, { id: 'j3' });
    await eventually(() => control.log.includes('c4#1'));
    const view = await crashAndRecover(h, h.engine, 'j3');
    expect(view).toMatchObject({ status: 'completed', output: ['c1 result', 'c2 failed NOT_FOUND', 'c3 result', 'c4 result', 'c5 result'] });
    expect(control.log.filter((line) => line.startsWith('c2'))).toEqual(['c2#1']);
    expect(callsOf(await h.events('j3'))[1]).toMatchObject({ call: 'c2', error: { code: 'NOT_FOUND', message: 'no such page', retryable: false } });
    await expectReplayVerified(h, 'j3');
  });

  it('a retryable error is retried inside the call; only the final outcome is recorded', async () => {
    control.failure = (name, n) => (name === 'c2' && n <= 2 ? Object.assign(new Error('busy'), { code: 'HTTP_503', retryable: true }) : undefined);
    const h = createHarness({ definitions: registry() });
    await h.engine.start('journaled', {}, { id: 'j4' });
    expect(await h.engine.settled('j4')).toMatchObject({ status: 'completed' });
    expect(control.log).toEqual(['c1#1', 'c2#1', 'c2#1', 'c2#1', 'c3#1', 'c4#1', 'c5#1']);
    expect(callsOf(await h.events('j4')).map((call) => [call.call, call.output])).toEqual([
      ['c1', 'c1 result'],
      ['c2', 'c2 result'],
      ['c3', 'c3 result'],
      ['c4', 'c4 result'],
      ['c5', 'c5 result'],
    ]);
  });

  it("a retryable error that outlasts the call's retries fails the attempt; the step's retries run that call again, and replay the calls before it", async () => {
    control.failure = (name) => (name === 'c2' ? Object.assign(new Error('still busy'), { code: 'HTTP_503', retryable: true }) : undefined);
    const h = createHarness({ definitions: registry() });
    await h.engine.start('journaled', {}, { id: 'j5' });
    expect(await h.engine.settled('j5')).toMatchObject({ status: 'failed' });
    // Three calls of c2 in each of the step's three attempts (both the engine's retry.maxAttempts); c1 once.
    expect(control.log).toEqual(['c1#1', 'c2#1', 'c2#1', 'c2#1', 'c2#2', 'c2#2', 'c2#2', 'c2#3', 'c2#3', 'c2#3']);
    const events = await h.events('j5');
    expect(callsOf(events).map((call) => [call.call, call.attempt, call.error?.code])).toEqual([
      ['c1', 1, undefined],
      ['c2', 1, 'HTTP_503'],
      ['c2', 2, 'HTTP_503'],
      ['c2', 3, 'HTTP_503'],
    ]);
    const failures = events.flatMap((event) => (event.type === 'StepFailed' ? [event.data] : []));
    expect(failures.map((failure) => [failure.attempt, failure.error.code, failure.error.retryable, failure.retryAt !== undefined])).toEqual([
      [1, 'HTTP_503', true, true],
      [2, 'HTTP_503', true, true],
      [3, 'HTTP_503', true, false],
    ]);
    await replayHistories(h.definitions, [{ workflowId: 'j5', events: await h.store.readStream(workflowStream('j5')) }]);
  });

  it("a call whose outage ends within the step's retries is recorded once it succeeds: the workflow completes", async () => {
    control.failure = (name, n) => (name === 'c2' && n <= 4 ? Object.assign(new Error('busy'), { code: 'HTTP_503', retryable: true }) : undefined);
    const h = createHarness({ definitions: registry() });
    await h.engine.start('journaled', {}, { id: 'j5b' });
    expect(await h.engine.settled('j5b')).toMatchObject({ status: 'completed' });
    expect(control.log).toEqual(['c1#1', 'c2#1', 'c2#1', 'c2#1', 'c2#2', 'c2#2', 'c3#2', 'c4#2', 'c5#2']);
    expect(callsOf(await h.events('j5b')).map((call) => `${call.call}#${call.attempt}${call.error === undefined ? '' : ' failed'}`)).toEqual([
      'c1#1',
      'c2#1 failed',
      'c2#2',
      'c3#2',
      'c4#2',
      'c5#2',
    ]);
  });

  it('a retryable call failure the step caught and went past stays recorded: a retry of the step replays it', async () => {
    control.catchFailures = true;
    control.failure = (name) => (name === 'c2' ? Object.assign(new Error('busy'), { code: 'HTTP_503', retryable: true }) : undefined);
    control.afterCalls = (n) => (n === 1 ? Object.assign(new Error('flaky'), { retryable: true }) : undefined);
    const h = createHarness({ definitions: registry() });
    await h.engine.start('journaled', {}, { id: 'j5c' });
    expect(await h.engine.settled('j5c')).toMatchObject({
      status: 'completed',
      output: ['c1 result', 'c2 failed HTTP_503', 'c3 result', 'c4 result', 'c5 result'],
    });
    // Attempt 2 (for the step's own error) replayed every call, c2's failure included.
    expect(control.log).toEqual(['c1#1', 'c2#1', 'c2#1', 'c2#1', 'c3#1', 'c4#1', 'c5#1']);
  });

  it("a retryable error of the step's own code is retried as a new recorded attempt: recorded calls are replayed, not made again", async () => {
    control.afterCalls = (n) => (n === 1 ? Object.assign(new Error('flaky'), { retryable: true }) : undefined);
    const h = createHarness({ definitions: registry() });
    await h.engine.start('journaled', {}, { id: 'j6' });
    expect(await h.clock.runUntil(h.engine.settled('j6'))).toMatchObject({ status: 'completed' });
    expect(afterCallsRuns).toBe(2);
    expect(control.log).toEqual(['c1#1', 'c2#1', 'c3#1', 'c4#1', 'c5#1']);
    const events = await h.events('j6');
    expect(callsOf(events)).toHaveLength(5);
    const attempts = events.filter(
      (event) => (event.type === 'StepStarted' || event.type === 'StepFailed' || event.type === 'StepCompleted') && event.data.step === 'gather',
    );
    expect(attempts.map((event) => [event.type, (event.data as { attempt: number }).attempt])).toEqual([
      ['StepStarted', 1],
      ['StepFailed', 1],
      ['StepStarted', 2],
      ['StepCompleted', 2],
    ]);
    expect(attempts[1]).toMatchObject({ data: { error: { message: 'flaky', retryable: true }, retryAt: expect.any(String) } });
  });

  it('a name used twice in one run fails the step with DUPLICATE_CALL, even when the step swallows the error', async () => {
    const h = createHarness({ definitions: registry() });
    await h.engine.start('careless', {}, { id: 'j7' });
    expect(await h.engine.settled('j7')).toMatchObject({ status: 'failed' });
    const failed = (await h.events('j7')).find((event) => event.type === 'StepFailed');
    expect(failed).toMatchObject({ data: { step: 'twice', error: { code: 'DUPLICATE_CALL', retryable: false } } });
    expect(failed?.type === 'StepFailed' && failed.data.error.message).toMatch(/two calls named "same"/);
    expect(callsOf(await h.events('j7')).map((call) => call.call)).toEqual(['same']);
  });

  it('a re-run whose calls differ from the recorded ones fails with NONDETERMINISM, naming the step and the call', async () => {
    // A step that (wrongly) names its calls after the attempt.
    control.names = (ctx) => (ctx.attempt === 1 ? ['c1', 'c2', 'c3'] : ['c1', 'cX', 'c3']);
    control.hang.add('c3#1');
    const h = createHarness({ definitions: registry() });
    await h.engine.start('journaled', {}, { id: 'j8' });
    await eventually(() => control.log.includes('c3#1'));
    expect(await crashAndRecover(h, h.engine, 'j8')).toMatchObject({ status: 'failed' });
    const failed = (await h.events('j8')).find((event) => event.type === 'StepFailed');
    expect(failed).toMatchObject({ data: { step: 'gather', attempt: 2, error: { code: 'NONDETERMINISM' } } });
    expect(failed?.type === 'StepFailed' && failed.data.error.message).toMatch(
      /Step "gather" .* made call "cX" \(run\) at position 1, where the journal has "c2" \(run\)/,
    );
    expect(control.log).toEqual(['c1#1', 'c2#1', 'c3#1']);
  });

  it('a re-run that returns without making its recorded calls fails with NONDETERMINISM', async () => {
    control.names = (ctx) => (ctx.attempt === 1 ? ['c1', 'c2', 'c3'] : ['c1']);
    control.hang.add('c3#1');
    const h = createHarness({ definitions: registry() });
    await h.engine.start('journaled', {}, { id: 'j9' });
    await eventually(() => control.log.includes('c3#1'));
    expect(await crashAndRecover(h, h.engine, 'j9')).toMatchObject({ status: 'failed' });
    const failed = (await h.events('j9')).find((event) => event.type === 'StepFailed');
    expect(failed?.type === 'StepFailed' && failed.data.error).toMatchObject({
      code: 'NONDETERMINISM',
      message: expect.stringMatching(/without making call "c2" \(position 1\)/),
    });
  });

  it('the journal errors are told apart by their guards', async () => {
    const { JournalError, CallFailedError } = await import('../../src/actors/index.js');
    expect(isDuplicateCall(new JournalError('DUPLICATE_CALL', 'x', { step: 's', call: 'c' }))).toBe(true);
    expect(isNondeterminism(new JournalError('NONDETERMINISM', 'x', { step: 's', call: 'c' }))).toBe(true);
    expect(isNondeterminism(new JournalError('DUPLICATE_CALL', 'x', { step: 's', call: 'c' }))).toBe(false);
    expect(isCallFailed(new CallFailedError({ code: 'X', message: 'm', retryable: false }, { step: 's', call: 'c' }))).toBe(true);
    expect(isCallFailed(Object.assign(new Error('x'), { code: 'X' }))).toBe(false);
  });

  it('calls started together take their positions when they start: recorded out of order, each replays in its place', async () => {
    let releaseFirst: (() => void) | undefined;
    const parallel = defineWorkflow({
      name: 'parallel',
      version: 1,
      input: z.object({}).default({}),
      steps: [
        {
          kind: 'produce',
          name: 'fan',
          run: async (ctx) => {
            const [a, b] = await Promise.all([
              ctx.run('slow', async () => {
                control.log.push(`slow#${ctx.attempt}`);
                await new Promise<void>((resolve) => (releaseFirst = resolve));
                return 'a';
              }),
              ctx.run('fast', () => {
                control.log.push(`fast#${ctx.attempt}`);
                return 'b';
              }),
            ]);
            const c = await ctx.run('last', async () => {
              control.log.push(`last#${ctx.attempt}`);
              if (ctx.attempt === 1) await hangUntilAborted(ctx.signal);
              return 'c';
            });
            return [a, b, c];
          },
        },
      ],
    });
    const definitions = createRegistry([parallel]);
    const h = createHarness({ definitions });
    await h.engine.start('parallel', {}, { id: 'p1' });
    // fast is recorded first, at its own position (1), while slow (position 0) still runs.
    await untilAsync(async () => callsOf(await h.events('p1')).length === 1);
    expect(control.log).toEqual(['slow#1', 'fast#1']);
    releaseFirst?.();
    await eventually(() => control.log.includes('last#1'));
    const recorded = callsOf(await h.events('p1'));
    expect(recorded.map((call) => `${call.call}@${call.seq}`)).toEqual(['fast@1', 'slow@0']);
    const view = await crashAndRecover(h, h.engine, 'p1');
    expect(view).toMatchObject({ status: 'completed', output: ['a', 'b', 'c'] });
    expect(control.log).toEqual(['slow#1', 'fast#1', 'last#1', 'last#2']);
    await expectReplayVerified(h, 'p1', definitions);
  });

  it('a result JSON cannot hold is recorded as INVALID_OUTPUT', async () => {
    control.result = (name) => (name === 'c2' ? Number.NaN : `${name} result`);
    const h = createHarness({ definitions: registry() });
    await h.engine.start('journaled', {}, { id: 'j10' });
    expect(await h.engine.settled('j10')).toMatchObject({ status: 'failed' });
    expect(callsOf(await h.events('j10'))[1]).toMatchObject({
      call: 'c2',
      error: { code: 'INVALID_OUTPUT', message: 'Call "c2" of step "gather" returned NaN, which JSON cannot hold' },
    });
  });

  it("model calls: each recorded with its own accounting; the step's outcome totals every call of the iteration once, replayed ones included", async () => {
    const h = createHarness({ definitions: registry(), script: askScript });
    await h.engine.start('asking', {}, { id: 'm1' });
    await eventually(() => h.llm.calls.length === 3);
    const view = await crashAndRecover(h, h.engine, 'm1');
    expect(view).toMatchObject({ status: 'completed', output: ['first', 'second', 'third'], usage: { inputTokens: 300, outputTokens: 60 } });
    expect(view.usage.costUsd).toBeCloseTo(0.03, 10);
    // The model saw the first two calls once; only the interrupted third twice.
    expect(h.llm.calls.map((call) => `#${call.attempt} ${call.prompt}`)).toEqual(['#1 one', '#1 two', '#1 three', '#2 three']);
    const events = await h.events('m1');
    const calls = callsOf(events);
    expect(calls.map((call) => [call.call, call.kind, call.attempt, call.llm?.inputTokens])).toEqual([
      ['ask one', 'complete', 1, 100],
      ['ask two', 'complete', 1, 100],
      ['ask three', 'complete', 2, 100],
    ]);
    expect(calls[0]?.output).toEqual({ text: 'first', stopReason: 'end_turn' });
    const outcome = events.find((event) => event.type === 'StepCompleted');
    expect(outcome).toMatchObject({ data: { attempt: 2, llm: { inputTokens: 300, outputTokens: 60, attempts: 3 } } });
    await expectReplayVerified(h, 'm1');
  });

  it('CANCEL while a call runs: its outcome is not recorded and the step stops', async () => {
    control.hang.add('c2#1');
    const h = createHarness({ definitions: registry() });
    await h.engine.start('journaled', {}, { id: 'j11' });
    await eventually(() => control.log.includes('c2#1'));
    expect(await h.engine.send('j11', { type: 'CANCEL', reason: 'enough' })).toMatchObject({ accepted: true });
    expect(await h.engine.settled('j11')).toMatchObject({ status: 'cancelled' });
    expect(types(await h.events('j11'))).toEqual(['WorkflowStarted', 'StepStarted', 'CallCompleted', 'WorkflowCancelled']);
    await h.engine.close();
  });

  it('the snapshot cache carries the journal of the step in flight', async () => {
    control.hang.add('c3#1');
    const h = createHarness({ definitions: registry(), engine: { snapshotEvery: 1 } });
    await h.engine.start('journaled', {}, { id: 'j12' });
    await eventually(() => control.log.includes('c3#1'));
    await untilAsync(async () => (await h.store.readStream('ecl.snapshot-j12')).length > 0);
    const loaded = await loadWorkflow(h.store, h.definitions, 'j12');
    expect(loaded?.snapshotRevision).toBeGreaterThanOrEqual(2);
    expect(loaded?.snapshot.context.calls.map((call) => call.call)).toEqual(['c1', 'c2']);
    expect(await crashAndRecover(h, h.engine, 'j12', { snapshotEvery: 1 })).toMatchObject({ status: 'completed' });
    expect(control.log).toEqual(['c1#1', 'c2#1', 'c3#1', 'c3#2', 'c4#2', 'c5#2']);
  });

  it("a step timeout during a call records STEP_TIMEOUT; the call cut off is not recorded, the ones before it are (the engine's clock)", async () => {
    let stuck = false;
    const timed = defineWorkflow({
      name: 'timed',
      version: 1,
      input: z.object({}).default({}),
      steps: [
        {
          kind: 'produce',
          name: 'slow',
          timeoutMs: 5_000,
          run: async (ctx) => {
            await ctx.run('quick', () => 'done');
            return ctx.run('stuck', () => {
              stuck = true;
              return hangUntilAborted(ctx.signal);
            });
          },
        },
      ],
    });
    const h = createHarness({ definitions: createRegistry([timed]) });
    await h.engine.start('timed', {}, { id: 't1' });
    await eventually(() => stuck);
    await h.clock.advance(5_000);
    expect(await h.engine.settled('t1')).toMatchObject({ status: 'failed' });
    const events = await h.events('t1');
    expect(types(events)).toEqual(['WorkflowStarted', 'StepStarted', 'CallCompleted', 'StepFailed', 'WorkflowFailed']);
    expect(callsOf(events).map((call) => call.call)).toEqual(['quick']);
    expect(events[3]).toMatchObject({ type: 'StepFailed', data: { error: { code: 'STEP_TIMEOUT' } } });
  });

  it('a call output too large for an event goes to the artifact store and comes back on the re-run', async () => {
    const big = 'x'.repeat(5_000);
    control.result = (name) => (name === 'c1' ? big : `${name} result`);
    control.hang.add('c2#1');
    const h = createHarness({ definitions: registry(), engine: { maxInlineOutputBytes: 1_024 } });
    await h.engine.start('journaled', {}, { id: 'j13' });
    await eventually(() => control.log.includes('c2#1'));
    const [first] = callsOf(await h.events('j13'));
    expect(first?.output).toEqual({ $artifact: { name: 'calls/gather-1-0.txt', hash: expect.any(String), format: 'text' } });
    expect(h.artifacts.files.get('j13/calls/gather-1-0.txt')).toBe(big);
    const view = await crashAndRecover(h, h.engine, 'j13', { maxInlineOutputBytes: 1_024 });
    expect(view.status).toBe('completed');
    expect(control.log.filter((line) => line.startsWith('c1'))).toEqual(['c1#1']);
    // The step's own output is spilled too; read it back and check c1's text came back whole.
    expect(h.artifacts.files.get('j13/outputs/gather-1.json')).toContain(big);
  });
});
