import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RetryableError, defineWorkflow } from 'ecl-workflows';
import { createManualClock, createTestEngine, replayHistories } from 'ecl-workflows/testing';

describe('TestEngine.restart(): a crash and a restart, in one test', () => {
  it('a step killed in its third journaled call re-runs once: the two recorded calls are replayed, the third made once more; the dead engine records nothing, and close() does not wait for it', async () => {
    const made: string[] = [];
    let reachedThird = (): void => undefined;
    const atThird = new Promise<void>((resolve) => (reachedThird = resolve));
    let answerLate = (_value: string): void => undefined;
    const sync = defineWorkflow({
      name: 'sync',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'copy',
          run: async (ctx) => {
            const a = await ctx.run('a', () => (made.push(`a#${ctx.attempt}`), 'A'));
            const b = await ctx.run('b', () => (made.push(`b#${ctx.attempt}`), 'B'));
            const c = await ctx.run('c', () => {
              made.push(`c#${ctx.attempt}`);
              reachedThird();
              // The first attempt ignores its signal and answers only after the crash, as a stuck call might.
              return ctx.attempt === 1 ? new Promise<string>((resolve) => (answerLate = resolve)) : 'C';
            });
            return `${a}${b}${c}`;
          },
        },
      ],
    });
    const t = createTestEngine({ definitions: [sync] });
    await t.engine.start(sync, {}, { id: 's1' });
    await atThird;
    const before = t.engine;

    expect(await t.restart()).toMatchObject({ resumed: ['s1'] });
    expect(t.engine).not.toBe(before);
    answerLate('late C');
    expect(await t.settled('s1')).toMatchObject({ status: 'completed', output: 'ABC' });
    expect(made).toEqual(['a#1', 'b#1', 'c#1', 'c#2']);
    const history = await t.history('s1');
    expect(
      history.flatMap((event) => {
        const data = event.data as { call?: string; attempt?: number };
        return event.type === 'StepStarted' || event.type === 'CallCompleted' ? [`${event.type} ${data.call ?? ''}#${data.attempt}`] : [];
      }),
    ).toEqual(['StepStarted #1', 'CallCompleted a#1', 'CallCompleted b#1', 'StepStarted #2', 'CallCompleted c#2']);
    await replayHistories([sync], [{ workflowId: 's1', events: history }]);
    await t.close();
  });

  it('whenRecorded() waits for a chosen event without a hand-made latch, so a crash lands exactly there; it rejects when the workflow ends without one', async () => {
    const made: string[] = [];
    const sync = defineWorkflow({
      name: 'sync',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'copy',
          run: async (ctx) => {
            const a = await ctx.run('a', () => (made.push(`a#${ctx.attempt}`), 'A'));
            const b = await ctx.run('b', () => (made.push(`b#${ctx.attempt}`), 'B'));
            // Never answered on the first attempt: whether or not it began before the crash, it is not recorded.
            const c = await ctx.run('c', () => (made.push(`c#${ctx.attempt}`), ctx.attempt === 1 ? new Promise<string>(() => undefined) : 'C'));
            return `${a}${b}${c}`;
          },
        },
      ],
    });
    const t = createTestEngine({ definitions: [sync] });
    await t.engine.start(sync, {}, { id: 's2' });
    const b = await t.whenRecorded('s2', (event) => event.type === 'CallCompleted' && event.data.call === 'b');
    expect(b).toMatchObject({ type: 'CallCompleted', data: { call: 'b', output: 'B' } });
    await t.restart();
    expect(await t.settled('s2')).toMatchObject({ status: 'completed', output: 'ABC' });
    // The crash came once b was recorded: a and b are not made again; c is made by the second attempt.
    expect(made.filter((call) => !call.startsWith('c'))).toEqual(['a#1', 'b#1']);
    expect(made.at(-1)).toBe('c#2');
    expect((await t.events('s2')).flatMap((event) => (event.type === 'CallCompleted' ? [`${event.data.call}#${event.data.attempt}`] : []))).toEqual([
      'a#1',
      'b#1',
      'c#2',
    ]);
    // Already recorded: at once, typed by its type.
    expect((await t.whenRecorded('s2', 'WorkflowCompleted')).data.output).toBe('ABC');
    await expect(t.whenRecorded('s2', 'SignalAwaited')).rejects.toThrow('Workflow s2 ended (WorkflowCompleted) without a SignalAwaited');
    await expect(t.whenRecorded('s3', 'StepStarted')).rejects.toThrow('No workflow s3: start it before waiting for its events');
    await t.close();
  });

  it('a step that ignores its signal and answers after the crash: the dead engine records and writes nothing; the new attempt is the one recorded', async () => {
    let started = (): void => undefined;
    const running = new Promise<void>((resolve) => (started = resolve));
    let answerLate = (_value: string): void => undefined;
    const slow = defineWorkflow({
      name: 'slow',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'think',
          run: async (ctx) => {
            started();
            const answer = ctx.attempt === 1 ? await new Promise<string>((resolve) => (answerLate = resolve)) : `answer #${ctx.attempt}`;
            await ctx.putArtifact(`answer-${ctx.attempt}.txt`, answer);
            return answer;
          },
        },
      ],
    });
    const t = createTestEngine({ definitions: [slow] });
    await t.engine.start(slow, {}, { id: 'w1' });
    await running;
    // The answer comes the moment the process dies, before the new engine has read anything.
    const restarted = t.restart();
    answerLate('answer #1, too late');
    await restarted;
    expect(await t.engine.settled('w1')).toMatchObject({ status: 'completed', output: 'answer #2' });
    const steps = (await t.history('w1')).filter((event) => event.type.startsWith('Step'));
    expect(steps.map((event) => `${event.type} #${(event.data as { attempt: number }).attempt}`)).toEqual([
      'StepStarted #1',
      'StepStarted #2',
      'StepCompleted #2',
    ]);
    // Nor did it write the artifact its late answer went on to write.
    await new Promise((resolve) => setImmediate(resolve));
    expect([...t.artifacts.files.keys()]).toEqual(['w1/answer-2.txt']);
    await t.close();
  });

  it("a retry pending at the crash runs once, on the new engine's timer: the dead engine's timer never fires", async () => {
    const attempts: number[] = [];
    const flaky = defineWorkflow({
      name: 'flaky',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'fetch',
          retry: { maxAttempts: 3, initialDelayMs: 60_000 },
          run: async (ctx) => {
            attempts.push(ctx.attempt);
            if (ctx.attempt === 1) throw new RetryableError('busy');
            return `fetched on attempt ${ctx.attempt}`;
          },
        },
      ],
    });
    const t = createTestEngine({ definitions: [flaky], clock: createManualClock('2030-01-01T00:00:00.000Z', { autoAdvance: false }) });
    expect(await t.run(flaky, {}, { id: 'f1' })).toMatchObject({ status: 'running', wakeAt: '2030-01-01T00:01:00.000Z' });
    await t.restart();
    await t.clock.advance(60_000);
    expect(await t.engine.get('f1')).toMatchObject({ status: 'completed', output: 'fetched on attempt 2' });
    expect(attempts).toEqual([1, 2]);
    expect((await t.history('f1')).filter((event) => event.type === 'StepStarted')).toHaveLength(2);
    await t.close();
  });
});
