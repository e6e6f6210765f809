import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { workflowStream } from '../../src/eventstore/index.js';
import { LlmError, type LlmProvider, type LlmRequest, type LlmResult } from '../../src/llm/index.js';
import { type CallScope, createRegistry, defineWorkflow, type JsonValue, type WorkflowEventOf } from '../../src/machines/index.js';
import { replayHistories } from '../../src/testing/index.js';
import { createHarness, eventually, type Harness } from './support/harness.js';

const Answer = z.object({ who: z.string() });
const tool = { name: 'answer', description: 'Who the document is about', schema: Answer };

/**
 * A model that answers `answer-for-<prompt>` with 10 tokens in and 5 out per call, remembers each
 * call's prompt, `context.item` and `context.call`, and hangs (until its signal aborts) on the prompts in `hang`.
 */
const model = {
  calls: [] as { prompt: string; item?: string | undefined; call: string | undefined }[],
  hang: new Set<string>(),
};

const fakeModel: LlmProvider = {
  name: 'fake',
  async complete<T>(request: LlmRequest<T>): Promise<LlmResult<T>> {
    const prompt = request.messages.map((message) => message.content).join('\n');
    model.calls.push({ prompt, item: request.context.item, call: request.context.call });
    if (model.hang.has(prompt))
      await new Promise<never>((_resolve, reject) =>
        request.signal?.addEventListener('abort', () => reject(new LlmError('CANCELLED', 'aborted')), { once: true }),
      );
    return {
      text: '',
      output: { who: `answer-for-${prompt}` } as T,
      model: prompt.startsWith('second') ? 'fake-large' : 'fake-small',
      usage: { inputTokens: 10, outputTokens: 5 },
      costUsd: 0.25,
      latencyMs: 3,
      attempts: 1,
      promptHash: `sha256:${prompt}`,
    };
  },
};

const Docs = z.object({ docs: z.array(z.string()), collect: z.boolean().default(false), twice: z.boolean().default(false) });

/** Each item asks the model about its document through its own call. */
const byItem = defineWorkflow({
  name: 'byItem',
  version: 1,
  input: Docs,
  steps: [
    {
      kind: 'produce',
      name: 'assess',
      run: async (ctx) =>
        ctx.map(
          'doc',
          ctx.input.docs,
          async (doc, _index, call): Promise<JsonValue> => {
            const first = await call.complete({ messages: [{ role: 'user', content: doc }], tool });
            if (!ctx.input.twice) return { doc, who: first.output?.who ?? null };
            const second = await call.complete({ messages: [{ role: 'user', content: `second ${doc}` }], tool });
            return { doc, who: first.output?.who ?? null, again: second.output?.who ?? null };
          },
          { concurrency: 1 },
        ),
    },
  ],
});

/** The mistake the item's call exists for: the step's own `ctx.complete` (or `ctx.run`) inside an item. */
const byStep = defineWorkflow({
  name: 'byStep',
  version: 1,
  input: Docs.extend({ via: z.enum(['complete', 'run']) }),
  steps: [
    {
      kind: 'produce',
      name: 'assess',
      run: async (ctx) => {
        const each = async (doc: string): Promise<JsonValue> =>
          ctx.input.via === 'complete'
            ? { doc, who: (await ctx.complete({ messages: [{ role: 'user', content: doc }], tool })).output?.who ?? null }
            : { doc, fetched: await ctx.run(`fetch ${doc}`, () => doc.toUpperCase()) };
        if (ctx.input.collect) {
          const outcomes = await ctx.map('doc', ctx.input.docs, each, { onItemError: 'collect' });
          return outcomes.map((outcome) => (outcome.ok ? outcome.value : outcome.error.code));
        }
        return ctx.map('doc', ctx.input.docs, each);
      },
    },
  ],
});

/** Keeps an item's call and uses it after the fan-out returned. */
const keeper = defineWorkflow({
  name: 'keeper',
  version: 1,
  input: z.object({ catchIt: z.boolean().default(false) }),
  steps: [
    {
      kind: 'produce',
      name: 'assess',
      run: async (ctx) => {
        let kept: CallScope | undefined;
        await ctx.map('doc', ['A'], (doc, _index, call) => {
          kept = call;
          return doc;
        });
        const late = kept?.complete({ messages: [{ role: 'user', content: 'late' }], tool }) ?? Promise.resolve(null);
        if (!ctx.input.catchIt) return (await late)?.output?.who ?? null;
        return late.then(
          () => 'answered',
          () => 'caught',
        );
      },
    },
  ],
});

/** `first: 1` over two items: `fast` answers once the slow item's first call did; the slow item's second call hangs until aborted. */
const race = defineWorkflow({
  name: 'race',
  version: 1,
  input: z.object({}),
  steps: [
    {
      kind: 'produce',
      name: 'assess',
      run: async (ctx) =>
        ctx.map(
          'doc',
          ['slow', 'fast'],
          async (doc, _index, call): Promise<JsonValue> => {
            const first = await call.complete({ messages: [{ role: 'user', content: doc }], tool });
            if (doc === 'fast') return first.output?.who ?? null;
            await call.complete({ messages: [{ role: 'user', content: 'second slow' }], tool });
            return 'slow won';
          },
          { first: 1, concurrency: 2 },
        ),
    },
  ],
});

type CallData = WorkflowEventOf<'CallCompleted'>['data'];
const callsOf = async (h: Harness, id: string): Promise<CallData[]> =>
  (await h.events(id)).flatMap((event) => (event.type === 'CallCompleted' ? [event.data] : []));

beforeEach(() => {
  model.calls = [];
  model.hang = new Set();
});

describe("a fan-out item's model calls", () => {
  it("given items calling the step's ctx.complete or ctx.run, then the step fails with INVALID_CALL naming the item, collected or not", async () => {
    const h = createHarness({ llm: fakeModel, definitions: createRegistry([byStep]) });
    for (const [id, via, collect] of [
      ['s1', 'complete', false],
      ['s2', 'complete', true],
      ['s3', 'run', false],
    ] as const) {
      await h.engine.start('byStep', { docs: ['A', 'B'], via, collect }, { id });
      const view = await h.engine.settled(id);
      expect(view.status).toBe('failed');
      const call = via === 'complete' ? 'complete#1' : 'fetch A';
      expect(view.reason).toContain(`Step "assess" made call "${call}" inside fan-out item "doc/0"`);
      expect(view.reason).toContain("use the item's call (call.run, call.complete, call.child)");
      const failed = (await h.events(id)).find((event) => event.type === 'StepFailed');
      expect(failed).toMatchObject({ data: { error: { code: 'INVALID_CALL', retryable: false } } });
    }
    // Refused before the model is called.
    expect(model.calls).toEqual([]);
    await h.engine.close();
  });

  it("given items calling call.complete, then each model call is journaled in its item's journal, and the step's outcome totals them", async () => {
    const h = createHarness({ llm: fakeModel, definitions: createRegistry([byItem]) });
    await h.engine.start('byItem', { docs: ['A', 'B', 'C'] }, { id: 'i1' });
    const view = await h.engine.settled('i1');
    expect(view).toMatchObject({
      status: 'completed',
      output: [
        { doc: 'A', who: 'answer-for-A' },
        { doc: 'B', who: 'answer-for-B' },
        { doc: 'C', who: 'answer-for-C' },
      ],
      usage: { inputTokens: 30, outputTokens: 15 },
    });
    expect(view.usage.costUsd).toBeCloseTo(0.75);
    // The provider is told which item, and which of its calls, it answers.
    expect(model.calls).toEqual([
      { prompt: 'A', item: 'doc/0', call: 'complete#1' },
      { prompt: 'B', item: 'doc/1', call: 'complete#1' },
      { prompt: 'C', item: 'doc/2', call: 'complete#1' },
    ]);
    // Each model call is recorded in its item's journal (position 0 of the item) before the item's own outcome, which spent nothing itself.
    const calls = await callsOf(h, 'i1');
    expect(calls.map((call) => [call.item, call.call, call.seq, call.llm])).toEqual(
      ['A', 'B', 'C'].flatMap((doc, index) => [
        [
          `doc/${index}`,
          'complete#1',
          0,
          { model: 'fake-small', inputTokens: 10, outputTokens: 5, costUsd: 0.25, latencyMs: 3, attempts: 1, promptHash: `sha256:${doc}` },
        ],
        [undefined, `doc/${index}`, index, undefined],
      ]),
    );
    const completed = (await h.events('i1')).find((event) => event.type === 'StepCompleted');
    expect(completed).toMatchObject({ data: { llm: { inputTokens: 30, outputTokens: 15, attempts: 3 } } });
    await h.engine.close();
    const events = await h.store.readStream(workflowStream('i1'));
    await replayHistories(h.definitions, [{ workflowId: 'i1', events }]);
  });

  it("given a script with an entry for one item's call, then that item gets it, whatever order the items run in", async () => {
    const script = { steps: { assess: [{ call: 'doc/1', output: { who: 'bee' } }, { output: { who: 'anyone' } }] } };
    const h = createHarness({ script, definitions: createRegistry([byItem]) });
    await h.engine.start('byItem', { docs: ['A', 'B', 'C'] }, { id: 'i4' });
    expect(await h.engine.settled('i4')).toMatchObject({
      status: 'completed',
      output: [
        { doc: 'A', who: 'anyone' },
        { doc: 'B', who: 'bee' },
        { doc: 'C', who: 'anyone' },
      ],
    });
    await h.engine.close();
  });

  it("given an item's call kept and used after the item ended, then the step fails with INVALID_CALL, caught or not, and nothing is called", async () => {
    const h = createHarness({ llm: fakeModel, definitions: createRegistry([keeper]) });
    for (const [id, catchIt] of [
      ['k1', false],
      ['k2', true],
    ] as const) {
      await h.engine.start('keeper', { catchIt }, { id });
      const view = await h.engine.settled(id);
      expect(view).toMatchObject({
        status: 'failed',
        reason: expect.stringContaining('Item "doc/0" of step "assess" has ended: its call (call.run, call.complete, call.child) cannot be used after it'),
      });
      expect((await h.events(id)).find((event) => event.type === 'StepFailed')).toMatchObject({ data: { error: { code: 'INVALID_CALL' } } });
    }
    expect(model.calls).toEqual([]);
    await h.engine.close();
  });

  it("given a first-k fan-out that aborts an item after one of its model calls, then the step's usage still counts that call", async () => {
    model.hang = new Set(['second slow']);
    let slowAnswered = (): void => {};
    const slowFirst = new Promise<void>((resolve) => (slowAnswered = resolve));
    const gated: LlmProvider = {
      name: 'gated',
      async complete<T>(request: LlmRequest<T>): Promise<LlmResult<T>> {
        const prompt = request.messages.map((message) => message.content).join('\n');
        if (prompt === 'fast') await slowFirst;
        const result = await fakeModel.complete(request);
        if (prompt === 'slow') slowAnswered();
        return result;
      },
    };
    const h = createHarness({ llm: gated, definitions: createRegistry([race]) });
    await h.engine.start('race', {}, { id: 'r1' });
    const view = await h.engine.settled('r1');
    expect(view).toMatchObject({ status: 'completed', output: ['answer-for-fast'] });
    expect(model.calls.map((call) => call.prompt)).toEqual(['slow', 'fast', 'second slow']);
    // The loser's answered model call is recorded in its journal (the aborted one reported nothing), so the step's usage counts it;
    // of the items, only the winner and the join are recorded.
    expect((await callsOf(h, 'r1')).map((call) => [call.item, call.call, call.llm?.inputTokens])).toEqual([
      ['doc/0', 'complete#1', 10],
      ['doc/1', 'complete#1', 10],
      [undefined, 'doc/1', undefined],
      [undefined, 'doc/first', undefined],
    ]);
    expect(view.usage).toMatchObject({ inputTokens: 20, outputTokens: 10 });
    expect(view.usage.costUsd).toBeCloseTo(0.5);
    const completed = (await h.events('r1')).find((event) => event.type === 'StepCompleted');
    expect(completed).toMatchObject({ data: { llm: { inputTokens: 20, outputTokens: 10, attempts: 2 } } });
    await h.engine.close();
    const events = await h.store.readStream(workflowStream('r1'));
    await replayHistories(h.definitions, [{ workflowId: 'r1', events }]);
  });

  it("given a first-k loser whose model call answers as it is aborted, then that call is recorded and the step's usage counts it", async () => {
    // The loser's call ignores the abort and answers (spent, and billed).
    const stubborn: LlmProvider = {
      name: 'stubborn',
      async complete<T>(request: LlmRequest<T>): Promise<LlmResult<T>> {
        const prompt = request.messages.map((message) => message.content).join('\n');
        if (prompt === 'slow') await new Promise<void>((resolve) => request.signal?.addEventListener('abort', () => resolve(), { once: true }));
        return fakeModel.complete(request);
      },
    };
    const slowFirst = defineWorkflow({
      name: 'slowFirst',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'assess',
          run: async (ctx) =>
            ctx.map(
              'doc',
              ['slow', 'fast'],
              async (doc, _index, call) => (await call.complete({ messages: [{ role: 'user', content: doc }], tool })).output?.who ?? null,
              {
                first: 1,
                concurrency: 2,
              },
            ),
        },
      ],
    });
    const h = createHarness({ llm: stubborn, definitions: createRegistry([slowFirst]) });
    await h.engine.start('slowFirst', {}, { id: 'r2' });
    const view = await h.engine.settled('r2');
    expect(view).toMatchObject({ status: 'completed', output: ['answer-for-fast'] });
    const calls = (await callsOf(h, 'r2')).map((call) => [call.item, call.call]);
    // The loser's answered call is recorded (its item's outcome is not); both calls count, once each.
    expect(calls).toContainEqual(['doc/0', 'complete#1']);
    expect(calls).not.toContainEqual([undefined, 'doc/0']);
    expect(view.usage).toMatchObject({ inputTokens: 20, outputTokens: 10 });
    await h.engine.close();
  });

  it("given a step whose items call one model and whose own last call another, then the step's outcome names the last call's model", async () => {
    const mixed = defineWorkflow({
      name: 'mixed',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'assess',
          run: async (ctx) => {
            await ctx.map(
              'doc',
              ['A', 'B'],
              async (doc, _index, call) => (await call.complete({ messages: [{ role: 'user', content: doc }], tool })).output?.who ?? null,
            );
            return (await ctx.complete({ name: 'summary', messages: [{ role: 'user', content: 'second summary' }], tool })).output?.who ?? null;
          },
        },
      ],
    });
    const h = createHarness({ llm: fakeModel, definitions: createRegistry([mixed]) });
    await h.engine.start('mixed', {}, { id: 'm1' });
    expect(await h.engine.settled('m1')).toMatchObject({ status: 'completed', usage: { inputTokens: 30 } });
    const completed = (await h.events('m1')).find((event) => event.type === 'StepCompleted');
    expect(completed).toMatchObject({ data: { llm: { model: 'fake-large', promptHash: 'sha256:second summary', inputTokens: 30 } } });
    await h.engine.close();
  });

  it("given an item with two model calls, then each is recorded with its own model, and the step's outcome totals them", async () => {
    const h = createHarness({ llm: fakeModel, definitions: createRegistry([byItem]) });
    await h.engine.start('byItem', { docs: ['A'], twice: true }, { id: 'i2' });
    expect(await h.engine.settled('i2')).toMatchObject({ status: 'completed', usage: { inputTokens: 20, outputTokens: 10 } });
    expect((await callsOf(h, 'i2')).map((call) => [call.item, call.call, call.seq, call.llm?.model])).toEqual([
      ['doc/0', 'complete#1', 0, 'fake-small'],
      ['doc/0', 'complete#2', 1, 'fake-large'],
      [undefined, 'doc/0', 0, undefined],
    ]);
    const completed = (await h.events('i2')).find((event) => event.type === 'StepCompleted');
    expect(completed).toMatchObject({ data: { llm: { model: 'fake-large', inputTokens: 20, outputTokens: 10, costUsd: 0.5, latencyMs: 6, attempts: 2 } } });
    await h.engine.close();
  });

  it("given a crash while an item waits for its second model call, when recovered, then the item's first call is replayed, not asked again", async () => {
    model.hang = new Set(['second A']);
    const h = createHarness({ llm: fakeModel, definitions: createRegistry([byItem]) });
    const crashed = h.engine;
    await crashed.start('byItem', { docs: ['A'], twice: true }, { id: 'i5' });
    await eventually(() => model.calls.some((call) => call.prompt === 'second A'));
    model.hang = new Set();
    const engine = h.restart();
    await engine.recover();
    const view = await engine.settled('i5');
    await crashed.close();
    expect(view).toMatchObject({ status: 'completed', output: [{ doc: 'A', who: 'answer-for-A', again: 'answer-for-second A' }] });
    expect(model.calls.map((call) => call.prompt)).toEqual(['A', 'second A', 'second A']);
    expect((await callsOf(h, 'i5')).map((call) => `${call.item ?? ''}:${call.call}#${call.attempt}`)).toEqual([
      'doc/0:complete#1#1',
      'doc/0:complete#2#2',
      ':doc/0#2',
    ]);
    // Both calls counted once: the interrupted one reported nothing.
    expect(view.usage).toMatchObject({ inputTokens: 20, outputTokens: 10 });
    await engine.close();
    const events = await h.store.readStream(workflowStream('i5'));
    await replayHistories(h.definitions, [{ workflowId: 'i5', events }]);
  });

  it('given a crash while the second item waits for the model, when recovered, then each item gets its own answer and the first is not asked again', async () => {
    model.hang = new Set(['B']);
    const h = createHarness({ llm: fakeModel, definitions: createRegistry([byItem]) });
    const crashed = h.engine;
    await crashed.start('byItem', { docs: ['A', 'B'] }, { id: 'i3' });
    await eventually(() => model.calls.some((call) => call.prompt === 'B'));
    // The process dies: the hung call is abandoned, nothing more is recorded by it.
    model.hang = new Set();
    const engine = h.restart();
    await engine.recover();
    const view = await engine.settled('i3');
    await crashed.close();
    expect(view).toMatchObject({
      status: 'completed',
      output: [
        { doc: 'A', who: 'answer-for-A' },
        { doc: 'B', who: 'answer-for-B' },
      ],
    });
    // A's recorded outcome is replayed; only the interrupted item called the model again.
    expect(model.calls.map((call) => call.prompt)).toEqual(['A', 'B', 'B']);
    expect((await callsOf(h, 'i3')).map((call) => `${call.item ?? ''}:${call.call}#${call.attempt}`)).toEqual([
      'doc/0:complete#1#1',
      ':doc/0#1',
      'doc/1:complete#1#2',
      ':doc/1#2',
    ]);
    await engine.close();
    const events = await h.store.readStream(workflowStream('i3'));
    await replayHistories(h.definitions, [{ workflowId: 'i3', events }]);
  });
});
