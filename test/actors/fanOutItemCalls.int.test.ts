import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMemoryEventStore, type EventStore, workflowStream } from '../../src/eventstore/index.js';
import { createRegistry, defineWorkflow, type WorkflowEventOf } from '../../src/machines/index.js';
import { replayHistories } from '../../src/testing/index.js';
import { createHarness, eventually, type Harness } from './support/harness.js';

/**
 * What the items' side effects did: each `call.run` function appends `<doc>:<call>` when it really
 * runs; those in `hang` never finish (the engine "crashes" during them), those in `failing` throw a
 * retryable error while their count lasts.
 */
const world = {
  ran: [] as string[],
  hang: new Set<string>(),
  failing: new Map<string, number>(),
};

const effect = (doc: string, name: string, signal: AbortSignal) => async (): Promise<string> => {
  const key = `${doc}:${name}`;
  world.ran.push(key);
  // Until the "crashed" engine is closed at the end of the test.
  if (world.hang.has(key)) await new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('closed')), { once: true }));
  const left = world.failing.get(key) ?? 0;
  if (left > 0) {
    world.failing.set(key, left - 1);
    throw Object.assign(new Error(`${key} is busy`), { code: 'BUSY', retryable: true });
  }
  return `${name}(${doc})`;
};

const Docs = z.object({ docs: z.array(z.string()), drift: z.boolean().default(false), twice: z.boolean().default(false) });

/** Each item fetches, parses and stores its document: three journaled calls of its own, named alike in every item. */
const pipeline = defineWorkflow({
  name: 'pipeline',
  version: 1,
  input: Docs,
  steps: [
    {
      kind: 'produce',
      name: 'ingest',
      retry: { maxAttempts: 2, initialDelayMs: 5_000 },
      run: async (ctx) =>
        ctx.map(
          'doc',
          ctx.input.docs,
          async (doc, _index, call) => {
            // `drift` names the first call after the attempt: what a re-run must never do.
            const fetched = await call.run(ctx.input.drift ? `fetch-${ctx.attempt}` : 'fetch', effect(doc, 'fetch', call.signal));
            if (ctx.input.twice) await call.run('fetch', effect(doc, 'fetch', call.signal));
            const parsed = await call.run('parse', effect(doc, 'parse', call.signal));
            const stored = await call.run('store', effect(doc, 'store', call.signal));
            return [fetched, parsed, stored];
          },
          { concurrency: 2 },
        ),
    },
  ],
});

type CallData = WorkflowEventOf<'CallCompleted'>['data'];
const callsOf = async (h: Harness, id: string): Promise<string[]> =>
  (await h.events(id)).flatMap((event) =>
    event.type === 'CallCompleted'
      ? [`${event.data.item === undefined ? '' : `${event.data.item} `}${event.data.call}@${event.data.seq}#${event.data.attempt}`]
      : [],
  );
const replays = async (h: Harness, id: string): Promise<void> => {
  const events = await h.store.readStream(workflowStream(id));
  expect(await replayHistories(h.definitions, [{ workflowId: id, events }])).toHaveLength(1);
};

beforeEach(() => {
  world.ran = [];
  world.hang = new Set();
  world.failing = new Map();
});

describe("a fan-out item's own journaled calls (call.run)", () => {
  it('given items that make calls of the same names, then each is recorded in its own item, positions counted within the item', async () => {
    const h = createHarness({ definitions: createRegistry([pipeline]) });
    await h.engine.start('pipeline', { docs: ['a', 'b'] }, { id: 'p1' });
    expect(await h.engine.settled('p1')).toMatchObject({
      status: 'completed',
      output: [
        ['fetch(a)', 'parse(a)', 'store(a)'],
        ['fetch(b)', 'parse(b)', 'store(b)'],
      ],
    });
    expect((await callsOf(h, 'p1')).sort()).toEqual(
      ['doc/0 fetch@0#1', 'doc/0 parse@1#1', 'doc/0 store@2#1', 'doc/0@0#1', 'doc/1 fetch@0#1', 'doc/1 parse@1#1', 'doc/1 store@2#1', 'doc/1@1#1'].sort(),
    );
    // Every item call is recorded before its item's outcome.
    const order = await callsOf(h, 'p1');
    for (const item of ['doc/0', 'doc/1']) expect(order.indexOf(`${item}@${item.at(-1)}#1`)).toBeGreaterThan(order.indexOf(`${item} store@2#1`));
    expect(world.ran).toHaveLength(6);
    await h.engine.close();
    await replays(h, 'p1');
  });

  it("given a crash in an item's third call, when recovered, then its first two are replayed and only the third runs again, once", async () => {
    world.hang = new Set(['b:store']);
    const h = createHarness({ definitions: createRegistry([pipeline]) });
    const crashed = h.engine;
    await crashed.start('pipeline', { docs: ['a', 'b'] }, { id: 'p2' });
    await eventually(() => world.ran.includes('b:store') && world.ran.includes('a:store'));
    await eventually(async () => (await callsOf(h, 'p2')).includes('doc/0@0#1'));
    world.hang = new Set();
    const engine = h.restart();
    await engine.recover();
    const view = await engine.settled('p2');
    await crashed.close();
    expect(view).toMatchObject({ status: 'completed', output: [expect.any(Array), ['fetch(b)', 'parse(b)', 'store(b)']] });
    // a finished before the crash: nothing of it ran again. b's fetch and parse were recorded: only its store ran again.
    expect(world.ran.filter((key) => key.startsWith('a:'))).toEqual(['a:fetch', 'a:parse', 'a:store']);
    expect(world.ran.filter((key) => key.startsWith('b:'))).toEqual(['b:fetch', 'b:parse', 'b:store', 'b:store']);
    const calls = await callsOf(h, 'p2');
    expect(calls.filter((call) => call.startsWith('doc/1'))).toEqual(['doc/1 fetch@0#1', 'doc/1 parse@1#1', 'doc/1 store@2#2', 'doc/1@1#2']);
    await engine.close();
    await replays(h, 'p2');
  });

  it("given an item's call that fails with a retryable error, when the step retries, then that call runs again and the item's earlier calls are replayed", async () => {
    // Fails in attempt 1 (the engine's policy gives a call no tries of its own: no real timer between the clock's), answers in attempt 2.
    world.failing = new Map([['a:parse', 1]]);
    const h = createHarness({ definitions: createRegistry([pipeline]), engine: { retry: { maxAttempts: 1 } } });
    await h.engine.start('pipeline', { docs: ['a'] }, { id: 'p3' });
    expect(await h.clock.runUntil(h.engine.settled('p3'))).toMatchObject({ status: 'completed', output: [['fetch(a)', 'parse(a)', 'store(a)']] });
    expect(world.ran).toEqual(['a:fetch', 'a:parse', 'a:parse', 'a:store']);
    expect(await callsOf(h, 'p3')).toEqual(['doc/0 fetch@0#1', 'doc/0 parse@1#1', 'doc/0@0#1', 'doc/0 parse@1#2', 'doc/0 store@2#2', 'doc/0@0#2']);
    const failed = (await h.events('p3')).find((event) => event.type === 'StepFailed');
    expect(failed).toMatchObject({ data: { attempt: 1, error: { code: 'BUSY', retryable: true }, retryAt: expect.any(String) } });
    await h.engine.close();
    await replays(h, 'p3');
  });

  it('given an item that makes two calls of one name, then the step fails with DUPLICATE_CALL naming the item and the call', async () => {
    const h = createHarness({ definitions: createRegistry([pipeline]) });
    await h.engine.start('pipeline', { docs: ['a'], twice: true }, { id: 'p4' });
    const view = await h.engine.settled('p4');
    expect(view).toMatchObject({ status: 'failed' });
    expect(view.reason).toContain('Item "doc/0" of step "ingest" made two calls named "fetch" in one run');
    const failed = (await h.events('p4')).find((event) => event.type === 'StepFailed');
    expect(failed).toMatchObject({ data: { error: { code: 'DUPLICATE_CALL', retryable: false } } });
    // The broken item records no outcome of its own.
    expect(await callsOf(h, 'p4')).toEqual(['doc/0 fetch@0#1']);
    await h.engine.close();
  });

  it('given a re-run whose item makes another call than recorded, then the step fails with NONDETERMINISM naming the item and both calls', async () => {
    world.hang = new Set(['a:parse']);
    const h = createHarness({ definitions: createRegistry([pipeline]) });
    const crashed = h.engine;
    await crashed.start('pipeline', { docs: ['a'], drift: true }, { id: 'p5' });
    await eventually(() => world.ran.includes('a:parse'));
    world.hang = new Set();
    const engine = h.restart();
    await engine.recover();
    const view = await engine.settled('p5');
    await crashed.close();
    expect(view).toMatchObject({ status: 'failed' });
    expect(view.reason).toContain(
      'Item "doc/0" of step "ingest" (iteration 1, attempt 2) made call "fetch-2" (run) at position 0, where the journal has "fetch-1" (run)',
    );
    const failed = (await h.events('p5')).find((event) => event.type === 'StepFailed');
    expect(failed).toMatchObject({ data: { attempt: 2, error: { code: 'NONDETERMINISM' } } });
    // fetch-2 never ran.
    expect(world.ran).toEqual(['a:fetch', 'a:parse']);
    await engine.close();
  });

  it("given an item call's output too large for an event, then it is kept as an artifact named by the item's position, and a re-run reads it back", async () => {
    const big = 'y'.repeat(5_000);
    const bulky = defineWorkflow({
      name: 'bulky',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'load',
          run: (ctx) =>
            ctx.map('doc', ['a', 'b'], async (doc, _index, call) => {
              const text = await call.run('fetch', () => {
                world.ran.push(`${doc}:fetch`);
                return `${doc}${big}`;
              });
              await call.run('wait', effect(doc, 'wait', call.signal));
              return text.length;
            }),
        },
      ],
    });
    world.hang = new Set(['b:wait']);
    const h = createHarness({ definitions: createRegistry([bulky]), engine: { maxInlineOutputBytes: 1_024 } });
    const crashed = h.engine;
    await crashed.start('bulky', {}, { id: 'p7' });
    await eventually(() => world.ran.includes('b:wait'));
    const fetched = (await h.events('p7')).flatMap((event) => (event.type === 'CallCompleted' && event.data.call === 'fetch' ? [event.data] : []));
    // Item doc/1 is at position 1 of the step; its fetch at position 0 of the item.
    expect(fetched.find((call) => call.item === 'doc/1')?.output).toEqual({
      $artifact: { name: 'calls/load-1-1.0.txt', hash: expect.any(String), format: 'text' },
    });
    expect(h.artifacts.files.get('p7/calls/load-1-1.0.txt')).toBe(`b${big}`);
    world.hang = new Set();
    const engine = h.restart({ maxInlineOutputBytes: 1_024 });
    await engine.recover();
    expect(await engine.settled('p7')).toMatchObject({ status: 'completed', output: [5_001, 5_001] });
    await crashed.close();
    expect(world.ran.filter((key) => key.endsWith(':fetch'))).toEqual(['a:fetch', 'b:fetch']);
    await engine.close();
  });

  it("given an item that catches its call's failed append and goes on, then neither the item nor the step records an outcome, and a re-run makes the call again", async () => {
    // The store fails the first append of the item's `charge` once.
    const memory = createMemoryEventStore();
    let failOnce = true;
    const store: EventStore = Object.assign(Object.create(memory) as EventStore, {
      append: (stream: string, events: Parameters<EventStore['append']>[1], options?: Parameters<EventStore['append']>[2]) => {
        if (failOnce && events.some((event) => event.type === 'CallCompleted' && (event.data as { call?: string }).call === 'charge')) {
          failOnce = false;
          return Promise.reject(new Error('disk unavailable'));
        }
        return memory.append(stream, events, options);
      },
    });
    const careless = defineWorkflow({
      name: 'careless',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'bill',
          run: (ctx) =>
            ctx.map('order', ['a'], async (order, _index, call) => {
              try {
                return await call.run('charge', effect(order, 'charge', call.signal));
              } catch {
                return 'not charged';
              }
            }),
        },
      ],
    });
    const h = createHarness({ store, definitions: createRegistry([careless]) });
    await h.engine.start('careless', {}, { id: 'p8' });
    await eventually(() => !failOnce);
    await h.engine.close();
    // Nothing built on the lost outcome was recorded: not the item's fallback, not the step's outcome.
    expect(await callsOf(h, 'p8')).toEqual([]);
    expect((await h.events('p8')).map((event) => event.type)).toEqual(['WorkflowStarted', 'StepStarted']);
    const engine = h.restart();
    await engine.recover();
    expect(await engine.settled('p8')).toMatchObject({ status: 'completed', output: ['charge(a)'] });
    expect(world.ran).toEqual(['a:charge', 'a:charge']);
    await engine.close();
  });

  it("given an item its fan-out aborts, whose call.run swallows the abort and returns, then that return is not recorded (a retry would replay it as the call's outcome)", async () => {
    const racing = defineWorkflow({
      name: 'racing',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'look',
          run: (ctx) =>
            ctx.map(
              'source',
              ['slow', 'fast'],
              async (source, _index, call) =>
                call.run('fetch', () =>
                  source === 'fast' ? 'found' : new Promise<string>((resolve) => call.signal.addEventListener('abort', () => resolve(''), { once: true })),
                ),
              { first: 1, concurrency: 2 },
            ),
        },
      ],
    });
    const h = createHarness({ definitions: createRegistry([racing]) });
    await h.engine.start('racing', {}, { id: 'p10' });
    expect(await h.engine.settled('p10')).toMatchObject({ status: 'completed', output: ['found'] });
    expect((await callsOf(h, 'p10')).sort()).toEqual(['source/1 fetch@0#1', 'source/1@1#1', 'source/first@2#1']);
    await h.engine.close();
  });

  it('given a step that starts two fan-outs of one name, then it fails with DUPLICATE_CALL naming the fan-out', async () => {
    const twice = defineWorkflow({
      name: 'twice',
      version: 1,
      input: z.object({}),
      steps: [
        {
          kind: 'produce',
          name: 'read',
          run: async (ctx) => {
            await ctx.map('doc', ['a'], (doc) => doc);
            return ctx.map('doc', ['b'], (doc) => doc);
          },
        },
      ],
    });
    const h = createHarness({ definitions: createRegistry([twice]) });
    await h.engine.start('twice', {}, { id: 'p9' });
    const view = await h.engine.settled('p9');
    expect(view).toMatchObject({ status: 'failed' });
    expect(view.reason).toContain('Step "read" started fan-out "doc" twice in one run, or made a call named "doc/0" before it');
    await h.engine.close();
  });

  it("given two items' calls recorded with one name and position, then the machine keeps both: the journal is per item", async () => {
    const h = createHarness({ definitions: createRegistry([pipeline]) });
    await h.engine.start('pipeline', { docs: ['a', 'b', 'c'] }, { id: 'p6' });
    await h.engine.settled('p6');
    const events = await h.events('p6');
    const fetches = events.flatMap((event) => (event.type === 'CallCompleted' && event.data.call === 'fetch' ? [event.data as CallData] : []));
    expect(fetches.map((call) => [call.item, call.seq])).toEqual(
      expect.arrayContaining([
        ['doc/0', 0],
        ['doc/1', 0],
        ['doc/2', 0],
      ]),
    );
    await h.engine.close();
  });
});
