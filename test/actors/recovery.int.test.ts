import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type EventStore, createMemoryEventStore, workflowStream } from '../../src/eventstore/index.js';
import { createRegistry, defineWorkflow } from '../../src/machines/index.js';
import { brief, serial3 } from '../support/definitions.js';
import { briefInput, createHarness, eventually, types } from './support/harness.js';

const metadata = { workflowId: 'b1', definition: 'brief', version: 1, sender: 'system', at: '2030-01-01T00:00:00.000Z' };

describe('recovery', () => {
  it('a step with StepStarted and no outcome runs again with attempt + 1; completed steps are never re-run', async () => {
    const h = createHarness({ script: { steps: { draft: [{ iteration: 1, attempt: 1, text: 'held', holdMs: 'untilAborted' }] }, fallback: 'offline' } });
    await h.engine.start('brief', briefInput(), { id: 'b1' });
    await eventually(() => h.llm.calls.find((call) => call.step === 'draft'));
    // Shutdown aborts the call in flight and records nothing for it: the crash window stays visible.
    await h.engine.close();
    expect(types(await h.events('b1')).slice(-1)).toEqual(['StepStarted']);

    const engine = h.restart();
    const recovered = await engine.recover();
    expect(recovered).toEqual({ resumed: ['b1'], waiting: 0 });
    expect(await engine.settled('b1')).toMatchObject({ status: 'completed' });

    const events = await h.events('b1');
    const started = events
      .filter((event) => event.type === 'StepStarted')
      .map((event) => event.type === 'StepStarted' && `${event.data.step}/${event.data.iteration}#${event.data.attempt}`);
    expect(started).toEqual(['extract/1#1', 'draft/1#1', 'draft/1#2', 'review/1#1', 'draft/2#1', 'review/2#1', 'load/1#1']);
    const completed = events
      .filter((event) => event.type === 'StepCompleted')
      .map((event) => event.type === 'StepCompleted' && `${event.data.step}/${event.data.iteration}`);
    expect(completed).toEqual(['extract/1', 'draft/1', 'review/1', 'draft/2', 'review/2', 'load/1']);
    expect(h.llm.calls.map((call) => `${call.step}/${call.iteration}#${call.attempt}`)).toEqual([
      'extract/1#1',
      'draft/1#1',
      'draft/1#2',
      'review/1#1',
      'draft/2#1',
      'review/2#1',
    ]);
    await engine.close();
  });

  it('close() waits for a step that ignores its signal, records its outcome, and starts nothing new', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const stubborn = defineWorkflow({
      name: 'stubborn',
      version: 1,
      input: z.object({}),
      steps: [
        { kind: 'produce', name: 'first', run: async () => gate.then(() => 'done anyway') },
        { kind: 'produce', name: 'second', run: async () => 'never started' },
      ],
    });
    const h = createHarness({ definitions: createRegistry([stubborn]) });
    await h.engine.start('stubborn', {}, { id: 's1' });
    const closing = h.engine.close();
    release();
    await closing;
    expect(types(await h.events('s1'))).toEqual(['WorkflowStarted', 'StepStarted', 'StepCompleted']);
    const engine = h.restart();
    expect(await engine.recover()).toEqual({ resumed: ['s1'], waiting: 0 });
    expect(await engine.settled('s1')).toMatchObject({ status: 'completed', output: 'never started' });
    expect(types(await h.events('s1')).slice(3)).toEqual(['StepStarted', 'StepCompleted', 'WorkflowCompleted']);
  });

  it('late appends of the crashed engine land while the recovered one drives: each time it folds them and decides again from there', async () => {
    const base = createMemoryEventStore();
    const stream = workflowStream('z1');
    const at = { workflowId: 'z1', definition: 'serial3', version: 1, sender: 'system', at: '2030-01-01T00:00:00.000Z' };
    const started = (step: string) => ({ type: 'StepStarted', data: { v: 1, step, iteration: 1, attempt: 1, idempotencyKey: `z1/${step}/1` }, metadata: at });
    const completed = (step: string) => ({ type: 'StepCompleted', data: { v: 1, step, iteration: 1, attempt: 1, output: null }, metadata: at });
    // What the crash left: the first step started, no outcome yet.
    await base.append(stream, [
      { type: 'WorkflowStarted', data: { v: 1, workflowId: 'z1', definition: 'serial3', version: 1, input: {}, inputHash: 'h', policies: {} }, metadata: at },
      started('one'),
    ]);
    // The old engine, not quite dead, records an outcome and starts the next step just before each of the recovered engine's first two appends.
    const late = [
      [completed('one'), started('two')],
      [completed('two'), started('three')],
    ];
    const store: EventStore = Object.assign(Object.create(base) as EventStore, {
      append: async (...args: Parameters<EventStore['append']>) => {
        const landing = args[0] === stream ? late.shift() : undefined;
        if (landing !== undefined) await base.append(stream, landing);
        return base.append(...args);
      },
    });
    const h = createHarness({ store });
    await h.engine.recover();
    expect(await h.engine.settled('z1')).toMatchObject({ status: 'completed' });
    expect(late).toEqual([]);
    const steps = (await h.events('z1')).flatMap((event) =>
      event.type === 'StepStarted' || event.type === 'StepCompleted' ? [`${event.type} ${event.data.step}#${event.data.attempt}`] : [],
    );
    expect(steps).toEqual([
      'StepStarted one#1',
      'StepCompleted one#1',
      'StepStarted two#1',
      'StepCompleted two#1',
      'StepStarted three#1',
      'StepStarted three#2',
      'StepCompleted three#2',
    ]);
  });

  it('recover() leaves waiting and finished workflows alone', async () => {
    const h = createHarness();
    await h.engine.start('brief', briefInput({ maxIterations: 1 }), { id: 'waits' });
    await h.engine.start('serial3', {}, { id: 'done' });
    await h.engine.settled('waits');
    await h.engine.settled('done');
    const calls = h.llm.calls.length;
    const engine = h.restart();
    expect(await engine.recover()).toEqual({ resumed: [], waiting: 1 });
    expect(engine.liveCount()).toBe(0);
    expect(h.llm.calls.length).toBe(calls);
  });

  it('recover() counts a signal wait as waiting, with or without a timeout to arm', async () => {
    const signalStep = { kind: 'signal', name: 'ask', signal: 'go' } as const;
    const timed = defineWorkflow({ name: 'timed', version: 1, input: z.object({}), steps: [{ ...signalStep, timeoutMs: 3_600_000 }] });
    const untimed = defineWorkflow({ name: 'untimed', version: 1, input: z.object({}), steps: [signalStep] });
    const h = createHarness({ definitions: createRegistry([timed, untimed]) });
    for (const name of ['timed', 'untimed']) {
      await h.engine.start(name, {}, { id: name });
      await h.engine.settled(name);
    }
    const engine = h.restart();
    expect(await engine.recover()).toEqual({ resumed: [], waiting: 2 });
    expect(await engine.get('timed')).toMatchObject({ status: 'waiting', waitingFor: { signal: 'go', timeoutAt: expect.any(String) } });
  });

  it('a due time recorded before a restart fires after it, as a StepFailed sent by the timer', async () => {
    const h = createHarness();
    const stream = workflowStream('b1');
    const input = brief.input.parse(briefInput());
    await h.store.append(stream, [
      {
        type: 'WorkflowStarted',
        data: { v: 1, workflowId: 'b1', definition: 'brief', version: 1, input, inputHash: 'h', policies: brief.resolvePolicies(input, new Date()) },
        metadata,
      },
      {
        type: 'StepStarted',
        data: { v: 1, step: 'extract', iteration: 1, attempt: 1, idempotencyKey: 'b1/extract/1', timeoutAt: '2030-01-01T00:00:30.000Z' },
        metadata,
      },
    ]);
    await h.clock.advance(60_000);
    const engine = h.restart();
    await engine.recover();
    const view = await engine.settled('b1');
    expect(view).toMatchObject({ status: 'failed', reason: 'Step "extract" failed: Step "extract" did not finish by 2030-01-01T00:00:30.000Z' });
    const records = await h.store.readStream(stream);
    expect(records.slice(2).map((record) => [record.type, record.metadata.sender])).toEqual([
      ['StepFailed', 'timer'],
      ['WorkflowFailed', 'system'],
    ]);
    expect(h.llm.calls).toEqual([]);
  });

  it("a live step timeout, on the engine's clock, aborts the call and fails the step", async () => {
    let running = false;
    const slow = defineWorkflow({
      name: 'slow',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'wait',
          timeoutMs: 5_000,
          run: (ctx) => {
            running = true;
            return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
          },
        },
      ],
    });
    const h = createHarness({ definitions: createRegistry([slow]) });
    await h.engine.start('slow', {}, { id: 'w1' });
    await eventually(() => running);
    // A millisecond short of the due time the step still runs; at it, the timeout fires.
    await h.clock.advance(4_999);
    expect(types(await h.events('w1'))).toEqual(['WorkflowStarted', 'StepStarted']);
    await h.clock.advance(1);
    const view = await h.engine.settled('w1');
    expect(view.status).toBe('failed');
    const events = await h.events('w1');
    expect(events[1]).toMatchObject({ type: 'StepStarted', data: { timeoutAt: '2030-01-01T00:00:05.000Z' } });
    expect(events[2]).toMatchObject({
      type: 'StepFailed',
      data: { error: { code: 'STEP_TIMEOUT', message: 'Step "wait" did not finish by 2030-01-01T00:00:05.000Z' } },
    });
  });

  it('a shutdown does not wait for a step with timeoutMs that ignores its signal, and records nothing of its late answer', async () => {
    let answerLate = (_value: string): void => undefined;
    let running = false;
    const stubborn = defineWorkflow({
      name: 'stubborn',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'work',
          timeoutMs: 60_000,
          run: () => {
            running = true;
            return new Promise<string>((resolve) => (answerLate = resolve));
          },
        },
      ],
    });
    const h = createHarness({ definitions: createRegistry([stubborn]) });
    await h.engine.start('stubborn', {}, { id: 'w2' });
    await eventually(() => running);
    await h.engine.close();
    answerLate('too late');
    await new Promise((resolve) => setImmediate(resolve));
    expect(types(await h.events('w2'))).toEqual(['WorkflowStarted', 'StepStarted']);
    // Its deadline went with it.
    expect(h.clock.pending).toBe(0);
  });
});

describe('activity errors', () => {
  // Retries (engine for plain functions, provider for model calls): retryLayering.int.test.ts.
  it('fails a terminal error at once, without retrying', async () => {
    const h = createHarness({ script: { steps: { extract: [{ error: { code: 'AUTHENTICATION', message: 'bad key' } }] } } });
    await h.engine.start('brief', briefInput(), { id: 'b1' });
    expect(await h.engine.settled('b1')).toMatchObject({ status: 'failed', reason: 'Step "extract" failed: bad key' });
    expect(types(await h.events('b1')).slice(-2)).toEqual(['StepFailed', 'WorkflowFailed']);
    expect(h.llm.calls).toHaveLength(1);
  });

  it('moves outputs over the inline limit to the artifact store and loads them back for later steps', async () => {
    const big = 'x'.repeat(2_000);
    const h = createHarness({ script: { steps: { extract: [{ text: big }] }, fallback: 'offline' }, engine: { maxInlineOutputBytes: 1_000 } });
    await h.engine.start('brief', briefInput(), { id: 'b1' });
    expect(await h.engine.settled('b1')).toMatchObject({ status: 'completed' });
    const extract = (await h.events('b1')).find((event) => event.type === 'StepCompleted' && event.data.step === 'extract');
    expect(extract).toMatchObject({
      data: { output: { $artifact: { name: 'outputs/extract-1.txt', format: 'text' } }, artifact: { bytes: 2_000, path: 'memory:b1/outputs/extract-1.txt' } },
    });
    expect(h.artifacts.files.get('b1/outputs/extract-1.txt')).toBe(big);
    // The draft step got the whole text back, not the preview.
    expect(h.llm.calls.find((call) => call.step === 'draft')?.prompt).toContain(big);
  });

  it('serial3 outcomes carry no model accounting', async () => {
    const h = createHarness({ definitions: createRegistry([serial3]) });
    await h.engine.start('serial3', {}, { id: 's1' });
    await h.engine.settled('s1');
    const completed = (await h.events('s1')).filter((event) => event.type === 'StepCompleted');
    expect(completed.every((event) => event.type === 'StepCompleted' && event.data.llm === undefined)).toBe(true);
  });
});
