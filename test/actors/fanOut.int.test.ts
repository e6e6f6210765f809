import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isCallFailed, isChildFailed, type Engine } from '../../src/actors/index.js';
import { workflowStream } from '../../src/eventstore/index.js';
import { createFolder, createRegistry, defineWorkflow, type JsonValue, type WorkflowEvent, type WorkflowEventOf } from '../../src/machines/index.js';
import { replayHistories } from '../../src/testing/index.js';
import { createProjectionQueries, createProjectionRunner, openProjectionDatabase } from '../../src/projections/index.js';
import { formatStatus } from '../../src/cli/formatStatus.js';
import { createHarness, eventually, types, type Harness } from './support/harness.js';

type CallData = WorkflowEventOf<'CallCompleted'>['data'];

/** What the items do, set per test. */
const control = {
  /** Every time an item's function ran: `<label>#<attempt>`. */
  log: [] as string[],
  /** `<label>#<attempt>` that never return on their own: they end only when their signal aborts. */
  hang: new Set<string>(),
  /** Labels that throw. */
  fail: new Set<string>(),
  /** Items held until released (to order completions). */
  held: new Map<string, () => void>(),
  hold: new Set<string>(),
  running: 0,
  maxRunning: 0,
  /** The leaf workflow's step runs: `<workflowId>#<attempt>`. */
  leafRuns: [] as string[],
  leafHang: new Set<string>(),
  leafFail: new Set<string>(),
};

const hangUntilAborted = (signal: AbortSignal) =>
  new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted by the signal')), { once: true }));

async function item(label: string, attempt: number, signal: AbortSignal): Promise<string> {
  control.log.push(`${label}#${attempt}`);
  control.running += 1;
  control.maxRunning = Math.max(control.maxRunning, control.running);
  try {
    if (control.hang.has(`${label}#${attempt}`)) await hangUntilAborted(signal);
    if (control.hold.has(label)) await new Promise<void>((resolve) => control.held.set(label, resolve));
    if (control.fail.has(label)) throw Object.assign(new Error(`${label} broke`), { code: 'BROKEN' });
    return `${label} done`;
  } finally {
    control.running -= 1;
  }
}

const Docs = z.object({
  docs: z.array(z.string()),
  concurrency: z.number().int().optional(),
  first: z.number().int().optional(),
  collect: z.boolean().default(false),
});

/** `fan` maps over the documents; `after` echoes its output. */
const mapping = defineWorkflow({
  name: 'mapping',
  version: 1,
  input: Docs,
  steps: [
    {
      kind: 'produce',
      name: 'fan',
      run: async (ctx) => {
        const options = {
          ...(ctx.input.concurrency === undefined ? {} : { concurrency: ctx.input.concurrency }),
          ...(ctx.input.first === undefined ? {} : { first: ctx.input.first }),
        };
        const each = (doc: string, _index: number, call: { signal: AbortSignal }) => item(doc, ctx.attempt, call.signal);
        if (ctx.input.collect) return (await ctx.map('docs', ctx.input.docs, each, { ...options, onItemError: 'collect' })) as JsonValue;
        return ctx.map('docs', ctx.input.docs, each, options);
      },
    },
    { kind: 'produce', name: 'after', run: async (ctx) => ctx.outputs.fan ?? null },
  ],
});

const branching = defineWorkflow({
  name: 'branching',
  version: 1,
  input: z.object({ first: z.number().int().optional() }).default({}),
  steps: [
    {
      kind: 'produce',
      name: 'race',
      run: async (ctx) => {
        const branches = {
          fast: (call: { signal: AbortSignal }) => item('fast', ctx.attempt, call.signal),
          slow: (call: { signal: AbortSignal }) => item('slow', ctx.attempt, call.signal),
        };
        if (ctx.input.first === undefined) return ctx.parallel('race', branches);
        return ctx.parallel('race', branches, { first: ctx.input.first }) as Promise<JsonValue>;
      },
    },
  ],
});

/** The child: one step that runs (and may hang or fail) per its input. */
const leaf = defineWorkflow({
  name: 'leaf',
  version: 1,
  input: z.object({ doc: z.string() }),
  steps: [
    {
      kind: 'produce',
      name: 'summarize',
      run: async (ctx) => {
        control.leafRuns.push(`${ctx.input.doc}#${ctx.attempt}`);
        if (control.leafHang.has(`${ctx.input.doc}#${ctx.attempt}`)) await hangUntilAborted(ctx.signal);
        if (control.leafFail.has(ctx.input.doc)) throw Object.assign(new Error(`cannot summarize ${ctx.input.doc}`), { code: 'UNREADABLE' });
        return ctx.input.doc === 'big' ? 'b'.repeat(5_000) : `summary of ${ctx.input.doc}`;
      },
    },
  ],
});

const parent = defineWorkflow({
  name: 'parent',
  version: 1,
  input: z.object({ doc: z.string(), wait: z.boolean().default(true) }),
  steps: [
    {
      kind: 'produce',
      name: 'delegate',
      run: async (ctx) => {
        if (!ctx.input.wait) return ctx.child('summary', 'leaf', { doc: ctx.input.doc }, { wait: false });
        try {
          return await ctx.child('summary', 'leaf', { doc: ctx.input.doc });
        } catch (error) {
          if (isChildFailed(error)) throw Object.assign(error, { seen: true });
          throw error;
        }
      },
    },
  ],
});

/** Each document summarized by its own child workflow, two at a time. */
const perDocument = defineWorkflow({
  name: 'perDocument',
  version: 1,
  input: z.object({ docs: z.array(z.string()) }),
  steps: [
    {
      kind: 'produce',
      name: 'summaries',
      run: async (ctx) => ctx.map('docs', ctx.input.docs, (doc, _index, call) => call.child('leaf', { doc }), { concurrency: 2 }),
    },
  ],
});

const registry = () => createRegistry([mapping, branching, leaf, parent, perDocument]);
const callsOf = (events: readonly WorkflowEvent[]): CallData[] => events.flatMap((event) => (event.type === 'CallCompleted' ? [event.data] : []));

async function expectReplayVerified(h: Harness, ids: string[]) {
  for (const id of ids) {
    const events = await h.store.readStream(workflowStream(id));
    expect(await replayHistories(h.definitions, [{ workflowId: id, events }])).toEqual([expect.objectContaining({ workflowId: id, folded: events.length })]);
  }
}

/** The engine that "crashed" (SIGKILL in-process: abandoned); closing it at the end only ends its hung calls. */
async function crashAndRecover(h: Harness, crashed: Engine, id: string) {
  const engine = h.restart();
  await engine.recover();
  const view = await engine.settled(id);
  await crashed.close();
  return { engine, view };
}

/** Lets pending I/O run until an async probe holds (no wall-clock sleeping). */
async function untilAsync(probe: () => Promise<boolean>, turns = 10_000): Promise<void> {
  for (let turn = 0; turn < turns; turn++) {
    if (await probe()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('The condition never became true');
}

/** Every WorkflowStarted in the store (all streams). */
async function startedEvents(h: Harness) {
  return (await h.store.readAll({ limit: 10_000 }))
    .filter((record) => record.type === 'WorkflowStarted')
    .map((record) => record.data as WorkflowEventOf<'WorkflowStarted'>['data']);
}

beforeEach(() => {
  control.log = [];
  control.hang = new Set();
  control.fail = new Set();
  control.held = new Map();
  control.hold = new Set();
  control.running = 0;
  control.maxRunning = 0;
  control.leafRuns = [];
  control.leafHang = new Set();
  control.leafFail = new Set();
});

describe('ctx.map and ctx.parallel', () => {
  it('given five documents, when mapped two at a time, then each item is a journaled call at its own position, results in item order', async () => {
    control.hold = new Set(['a']);
    const h = createHarness({ definitions: registry() });
    await h.engine.start('mapping', { docs: ['a', 'b', 'c', 'd', 'e'], concurrency: 2 }, { id: 'm1' });
    // a is held: b, c, d, e finish around it, two at a time at most.
    await eventually(() => control.log.includes('e#1'));
    control.held.get('a')?.();
    const view = await h.engine.settled('m1');
    expect(view).toMatchObject({ status: 'completed', output: ['a done', 'b done', 'c done', 'd done', 'e done'] });
    expect(control.maxRunning).toBe(2);
    expect(control.log).toEqual(['a#1', 'b#1', 'c#1', 'd#1', 'e#1']);
    const calls = callsOf(await h.events('m1'));
    // Recorded in completion order, each at the position of its index.
    expect(calls.map((call) => `${call.call}@${call.seq}`)).toEqual(['docs/1@1', 'docs/2@2', 'docs/3@3', 'docs/4@4', 'docs/0@0']);
    await h.engine.close();
    await expectReplayVerified(h, ['m1']);
  });

  it('given a crash mid-fan-out with three items done, when recovered, then only the two unfinished items run, each exactly once more', async () => {
    control.hang = new Set(['b#1', 'd#1']);
    const h = createHarness({ definitions: registry() });
    await h.engine.start('mapping', { docs: ['a', 'b', 'c', 'd', 'e'] }, { id: 'm2' });
    await untilAsync(async () => callsOf(await h.events('m2')).length === 3);
    await eventually(() => control.log.includes('d#1') || undefined);
    const { engine, view } = await crashAndRecover(h, h.engine, 'm2');
    expect(view).toMatchObject({ status: 'completed', output: ['a done', 'b done', 'c done', 'd done', 'e done'] });
    expect(control.log.sort()).toEqual(['a#1', 'b#1', 'b#2', 'c#1', 'd#1', 'd#2', 'e#1']);
    const events = await h.events('m2');
    expect(callsOf(events).map((call) => `${call.call}@${call.seq}#${call.attempt}`)).toEqual([
      'docs/0@0#1',
      'docs/2@2#1',
      'docs/4@4#1',
      'docs/1@1#2',
      'docs/3@3#2',
    ]);
    expect(createFolder(mapping.machine).fold(events).context).toEqual(view.context);
    await engine.close();
    await expectReplayVerified(h, ['m2']);
  });

  it("given onItemError 'fail', when an item fails, then the step fails with the item's code and a message naming it; siblings still running record nothing", async () => {
    control.fail = new Set(['b']);
    control.hang = new Set(['c#1']);
    const h = createHarness({ definitions: registry() });
    await h.engine.start('mapping', { docs: ['a', 'b', 'c'] }, { id: 'm3' });
    expect(await h.engine.settled('m3')).toMatchObject({ status: 'failed' });
    const events = await h.events('m3');
    expect(
      callsOf(events)
        .map((call) => call.call)
        .sort(),
    ).toEqual(['docs/0', 'docs/1']);
    expect(events.find((event) => event.type === 'StepFailed')).toMatchObject({
      data: { error: { code: 'BROKEN', message: 'Item 1 of fan-out "docs" (call "docs/1") failed: b broke', retryable: false } },
    });
    await h.engine.close();
  });

  it("given onItemError 'collect', when an item fails, then every outcome comes back in item order", async () => {
    control.fail = new Set(['b']);
    const h = createHarness({ definitions: registry() });
    await h.engine.start('mapping', { docs: ['a', 'b', 'c'], collect: true }, { id: 'm4' });
    expect((await h.engine.settled('m4')).output).toEqual([
      { index: 0, ok: true, value: 'a done' },
      { index: 1, ok: false, error: { code: 'BROKEN', message: 'b broke', retryable: false } },
      { index: 2, ok: true, value: 'c done' },
    ]);
    await h.engine.close();
  });

  it('given first: 2, when two items succeeded, then the others are aborted and not recorded, and the join records the winners', async () => {
    control.hang = new Set(['a#1', 'c#1']);
    const h = createHarness({ definitions: registry() });
    await h.engine.start('mapping', { docs: ['a', 'b', 'c', 'd', 'e'], first: 2, concurrency: 3 }, { id: 'm5' });
    const view = await h.engine.settled('m5');
    // a and c hang; b then d (started when b finished) win; e never starts.
    expect(view).toMatchObject({ status: 'completed', output: ['b done', 'd done'] });
    expect(control.log).toEqual(['a#1', 'b#1', 'c#1', 'd#1']);
    const calls = callsOf(await h.events('m5'));
    expect(calls.map((call) => `${call.call}@${call.seq}`)).toEqual(['docs/1@1', 'docs/3@3', 'docs/first@5']);
    expect(calls.at(-1)?.output).toEqual({ won: [1, 3], failed: [] });
    await h.engine.close();
    await expectReplayVerified(h, ['m5']);
  });

  it('given first: 2 and a crash after two items succeeded, before the join, when recovered, then nothing runs again and the same two win', async () => {
    control.hold = new Set(['b', 'd']);
    control.hang = new Set(['a#1', 'c#1']);
    const h = createHarness({ definitions: registry() });
    await h.engine.start('mapping', { docs: ['a', 'b', 'c', 'd'], first: 2 }, { id: 'm6' });
    await eventually(() => control.held.size === 2 || undefined);
    control.held.get('b')?.();
    await untilAsync(async () => callsOf(await h.events('m6')).length === 1);
    // d records while the test's store is about to refuse nothing: release it and crash right after its record, before the join.
    const crashed = h.engine;
    const join = crashed.subscribe('m6');
    let dRecorded = false;
    const sub = join.subscribe((event) => {
      if (event.kind === 'transition' && event.event.type === 'CallCompleted' && event.event.data.call === 'docs/3') dRecorded = true;
    });
    control.held.get('d')?.();
    await eventually(() => dRecorded || undefined);
    sub.unsubscribe();
    const { engine, view } = await crashAndRecover(h, crashed, 'm6');
    expect(view.output).toEqual(['b done', 'd done']);
    // a and c hung in attempt 1 and are not run again: the recorded wins were enough.
    expect(control.log.filter((line) => line.endsWith('#2'))).toEqual([]);
    await engine.close();
    await expectReplayVerified(h, ['m6']);
  });

  it('given parallel branches, when all finish, then results are keyed by branch; with first: 1, only the winner', async () => {
    const h = createHarness({ definitions: registry() });
    await h.engine.start('branching', {}, { id: 'b1' });
    expect((await h.engine.settled('b1')).output).toEqual({ fast: 'fast done', slow: 'slow done' });
    control.hang = new Set(['slow#1']);
    await h.engine.start('branching', { first: 1 }, { id: 'b2' });
    expect((await h.engine.settled('b2')).output).toEqual({ fast: 'fast done' });
    expect(callsOf(await h.events('b2')).map((call) => call.call)).toEqual(['race/fast', 'race/first']);
    await h.engine.close();
    await expectReplayVerified(h, ['b1', 'b2']);
  });

  it('a fan-out with an invalid option fails the step with INVALID_CALL', async () => {
    const h = createHarness({ definitions: registry() });
    await h.engine.start('mapping', { docs: ['a'], first: 3 }, { id: 'm7' });
    expect(await h.engine.settled('m7')).toMatchObject({ status: 'failed' });
    expect((await h.events('m7')).find((event) => event.type === 'StepFailed')).toMatchObject({
      data: { error: { code: 'INVALID_CALL', message: expect.stringContaining('first must be a whole number from 1 to the 1 items, not 3') } },
    });
    await h.engine.close();
  });
});

describe('ctx.child', () => {
  it("given a parent, when its step runs a child, then it returns the child's output; both streams carry the link", async () => {
    const h = createHarness({ definitions: registry() });
    await h.engine.start('parent', { doc: 'x' }, { id: 'p1' });
    const view = await h.engine.settled('p1');
    expect(view).toMatchObject({ status: 'completed', output: 'summary of x' });
    const [call] = callsOf(await h.events('p1'));
    const childId = (call?.output as { workflowId: string }).workflowId;
    expect(call).toMatchObject({ call: 'summary', output: { workflowId: childId, output: 'summary of x' } });
    expect(childId).toMatch(/^p1\.summary-[0-9a-f]{12}$/);
    const childEvents = await h.events(childId);
    expect(childEvents[0]).toMatchObject({
      type: 'WorkflowStarted',
      data: { definition: 'leaf', parent: { workflowId: 'p1', step: 'delegate', call: 'summary' } },
    });
    expect(types(childEvents).at(-1)).toBe('WorkflowCompleted');
    await h.engine.close();
    await expectReplayVerified(h, ['p1', childId]);

    // The read models show the link: `ecl status` of the child names its parent, `ecl audit` too.
    const db = openProjectionDatabase(':memory:');
    await createProjectionRunner({ store: h.store, db }).catchUp();
    const queries = createProjectionQueries(db);
    const status = await queries.getStatus(childId);
    expect(status?.parent).toEqual({ workflowId: 'p1', step: 'delegate', call: 'summary' });
    expect(formatStatus(status!)).toContain('  parent      p1 (step delegate, call "summary")');
    expect((await queries.getStatus('p1'))?.parent).toBeUndefined();
    expect((await queries.getAudit(childId))[0]?.summary).toBe('started leaf v1 as a child of p1 (step delegate, call "summary")');
    expect((await queries.getAudit('p1')).find((entry) => entry.type === 'CallCompleted')?.summary).toContain(childId);
    db.close();
  });

  it("given a child that fails, then the parent's step fails with CHILD_FAILED and the child's reason", async () => {
    control.leafFail = new Set(['bad']);
    const h = createHarness({ definitions: registry() });
    await h.engine.start('parent', { doc: 'bad' }, { id: 'p2' });
    expect(await h.engine.settled('p2')).toMatchObject({ status: 'failed' });
    const failed = (await h.events('p2')).find((event) => event.type === 'StepFailed');
    expect(failed).toMatchObject({ data: { error: { code: 'CHILD_FAILED', retryable: false } } });
    expect(failed?.type === 'StepFailed' && failed.data.error.message).toMatch(/^Child workflow p2\.summary-\w+ \(leaf\) failed: .*cannot summarize bad/);
    await h.engine.close();
  });

  it("given a child output too large for its event, then the parent gets it back whole from the child's artifacts", async () => {
    const h = createHarness({ definitions: registry(), engine: { maxInlineOutputBytes: 1_024 } });
    await h.engine.start('parent', { doc: 'big' }, { id: 'p7' });
    expect(await h.engine.settled('p7')).toMatchObject({ status: 'completed' });
    const childId = (await startedEvents(h)).find((started) => started.parent?.workflowId === 'p7')?.workflowId as string;
    expect((await h.events(childId)).at(-1)).toMatchObject({ type: 'WorkflowCompleted', data: { output: { $artifact: expect.anything() } } });
    expect(h.artifacts.files.get('p7/outputs/delegate-1.txt')).toBe('b'.repeat(5_000));
    await h.engine.close();
  });

  it('given wait: false, then the step gets the child id at once and the child runs on its own', async () => {
    control.leafHang = new Set(['later#1']);
    const h = createHarness({ definitions: registry() });
    await h.engine.start('parent', { doc: 'later', wait: false }, { id: 'p3' });
    const view = await h.engine.settled('p3');
    expect(view.status).toBe('completed');
    const childId = (view.output as { workflowId: string }).workflowId;
    expect((await h.engine.get(childId))?.status).toBe('running');
    await h.engine.close();
  });

  it('given a crash after the child started, when recovered, then the parent finds the same child, never a second one', async () => {
    control.leafHang = new Set(['y#1']);
    const h = createHarness({ definitions: registry() });
    await h.engine.start('parent', { doc: 'y' }, { id: 'p4' });
    await eventually(() => control.leafRuns.includes('y#1') || undefined);
    const { engine, view } = await crashAndRecover(h, h.engine, 'p4');
    expect(view).toMatchObject({ status: 'completed', output: 'summary of y' });
    const children = (await startedEvents(h)).filter((started) => started.parent !== undefined);
    expect(children).toHaveLength(1);
    expect(control.leafRuns).toEqual(['y#1', 'y#2']);
    const parentEvents = await h.events('p4');
    expect(types(parentEvents).filter((type) => type === 'StepStarted')).toHaveLength(2);
    expect(callsOf(parentEvents)).toHaveLength(1);
    await engine.close();
    await expectReplayVerified(h, ['p4', children[0]?.workflowId as string]);
  });

  it('given a child that already finished when the parent re-runs, then the parent takes its output without waiting', async () => {
    const h = createHarness({ definitions: registry() });
    // Start the child first under the id the parent derives, and let it finish.
    const { childIdOf } = await import('../../src/actors/childWorkflows.js');
    const childId = childIdOf('p5', 'delegate', 1, 'summary');
    await h.engine.start('leaf', { doc: 'z' }, { id: childId });
    await h.engine.settled(childId);
    await h.engine.start('parent', { doc: 'z' }, { id: 'p5' });
    expect(await h.engine.settled('p5')).toMatchObject({ status: 'completed', output: 'summary of z' });
    expect(control.leafRuns).toEqual(['z#1']);
    await h.engine.close();
  });

  it('given a parent waiting for its child, when the parent is cancelled, then the child is cancelled too', async () => {
    control.leafHang = new Set(['w#1']);
    const h = createHarness({ definitions: registry() });
    await h.engine.start('parent', { doc: 'w' }, { id: 'p6' });
    await eventually(() => control.leafRuns.includes('w#1') || undefined);
    expect(await h.engine.send('p6', { type: 'CANCEL', reason: 'enough' })).toMatchObject({ accepted: true });
    expect(await h.engine.settled('p6')).toMatchObject({ status: 'cancelled' });
    const childId = (await startedEvents(h)).find((started) => started.parent?.workflowId === 'p6')?.workflowId as string;
    await untilAsync(async () => (await h.engine.get(childId))?.status === 'cancelled');
    await h.engine.close();
  });

  it('given a fan-out whose items each run a child workflow, then each document gets its own child, linked to its item', async () => {
    const h = createHarness({ definitions: registry() });
    await h.engine.start('perDocument', { docs: ['one', 'two', 'three'] }, { id: 'f1' });
    expect(await h.engine.settled('f1')).toMatchObject({ status: 'completed', output: ['summary of one', 'summary of two', 'summary of three'] });
    const children = (await startedEvents(h)).filter((started) => started.parent?.workflowId === 'f1');
    expect(children.map((started) => started.parent?.call).sort()).toEqual(['docs/0', 'docs/1', 'docs/2']);
    await h.engine.close();
    await expectReplayVerified(h, ['f1', ...children.map((started) => started.workflowId)]);
  });

  it("given a fan-out waiting for its items' children, when the parent is cancelled, then every child it waits for is cancelled", async () => {
    control.leafHang = new Set(['one#1', 'two#1']);
    const h = createHarness({ definitions: registry() });
    await h.engine.start('perDocument', { docs: ['one', 'two'] }, { id: 'f2' });
    await eventually(() => (control.leafRuns.length === 2 ? true : undefined));
    expect(await h.engine.send('f2', { type: 'CANCEL', reason: 'enough' })).toMatchObject({ accepted: true });
    expect(await h.engine.settled('f2')).toMatchObject({ status: 'cancelled' });
    const children = (await startedEvents(h)).filter((started) => started.parent?.workflowId === 'f2').map((started) => started.workflowId);
    expect(children).toHaveLength(2);
    for (const child of children) await untilAsync(async () => (await h.engine.get(child))?.status === 'cancelled');
    await h.engine.close();
  });

  it('the error guards tell child failures and item failures apart', async () => {
    const { ChildFailedError } = await import('../../src/actors/childWorkflows.js');
    const error = new ChildFailedError('c1', 'Child workflow c1 (leaf) failed: no');
    expect(isChildFailed(error)).toBe(true);
    expect(isCallFailed(error)).toBe(false);
    expect(isChildFailed(Object.assign(new Error('x'), { code: 'CHILD_FAILED' }))).toBe(false);
  });
});
