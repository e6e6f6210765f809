import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { greetingV1, greetingV2 } from '../../examples/versions/greeting.js';
import { isEngineError } from '../../src/actors/index.js';
import { createRegistry, defineWorkflow, type WorkflowEvent } from '../../src/machines/index.js';
import { captureLogger } from '../kurrentdb/support/captureLogger.js';
import { createHarness, type Harness } from './support/harness.js';

/** The recorded version and the steps that completed, in order. */
async function ranOn(h: Harness, workflowId: string): Promise<{ version: number | undefined; steps: string[] }> {
  const events = await h.events(workflowId);
  const started = events.find((event): event is Extract<WorkflowEvent, { type: 'WorkflowStarted' }> => event.type === 'WorkflowStarted');
  const steps = events.flatMap((event) => (event.type === 'StepCompleted' ? [event.data.step] : []));
  return { version: started?.data.version, steps };
}

const V1_STEPS = ['draft', 'publish'];
const V2_STEPS = ['draft', 'polish', 'publish'];

describe('versions side by side', () => {
  it('a workflow finishes on the version that started it while new starts take the newest, both running at once', async () => {
    const definitions = createRegistry([greetingV1]);
    const h = createHarness({ definitions });
    await h.engine.start('greeting', { name: 'Ada', approval: true }, { id: 'before-v2' });
    expect(await h.engine.settled('before-v2')).toMatchObject({ status: 'waiting', version: 1 });

    definitions.register(greetingV2);
    await h.engine.start('greeting', { name: 'Bob', approval: true }, { id: 'after-v2' });
    expect(await h.engine.settled('after-v2')).toMatchObject({ status: 'waiting', version: 2 });

    // Both gates open at once: each workflow runs its own version's remaining steps.
    const [sentOld, sentNew] = await Promise.all([h.engine.send('before-v2', { type: 'APPROVE' }), h.engine.send('after-v2', { type: 'APPROVE' })]);
    expect([sentOld.accepted, sentNew.accepted]).toEqual([true, true]);
    const [old, fresh] = await Promise.all([h.engine.settled('before-v2'), h.engine.settled('after-v2')]);
    expect(old).toMatchObject({ status: 'completed', version: 1, output: 'Published: Hello, Ada.' });
    expect(fresh).toMatchObject({ status: 'completed', version: 2, output: 'Published: Hello, Bob — glad you are here!' });
    expect(await ranOn(h, 'before-v2')).toEqual({ version: 1, steps: V1_STEPS });
    expect(await ranOn(h, 'after-v2')).toEqual({ version: 2, steps: V2_STEPS });
    await h.engine.close();
  });

  it('starts an older version on purpose, by definition or by name and version; an unregistered version is refused', async () => {
    const h = createHarness({ definitions: createRegistry([greetingV1, greetingV2]) });
    const runs = await Promise.all([
      h.engine.start('greeting', { name: 'newest' }, { id: 'newest' }),
      h.engine.start(greetingV1, { name: 'by-definition' }, { id: 'by-definition' }),
      h.engine.start('greeting', { name: 'by-version' }, { id: 'by-version', version: 1 }),
    ]);
    await Promise.all(runs.map((run) => h.engine.settled(run.workflowId)));
    expect(await ranOn(h, 'newest')).toEqual({ version: 2, steps: V2_STEPS });
    expect(await ranOn(h, 'by-definition')).toEqual({ version: 1, steps: V1_STEPS });
    expect(await ranOn(h, 'by-version')).toEqual({ version: 1, steps: V1_STEPS });

    const refused = await h.engine.start('greeting', { name: 'x' }, { id: 'v3', version: 3 }).catch((error: unknown) => error);
    expect(isEngineError(refused) && refused.code).toBe('UNKNOWN_DEFINITION');
    expect((refused as Error).message).toBe('Unknown version 3 of workflow definition "greeting". Registered: v1, v2');
    expect(await h.engine.get('v3')).toBeUndefined();
    await h.engine.close();
  });

  it('starting an existing id again returns the workflow on its own version, even when a newer one exists', async () => {
    const h = createHarness({ definitions: createRegistry([greetingV1, greetingV2]) });
    await h.engine.start(greetingV1, { name: 'Ada', approval: true }, { id: 'g1' });
    await h.engine.settled('g1');
    const again = await h.engine.start('greeting', { name: 'Ada', approval: true }, { id: 'g1' });
    expect(again).toMatchObject({ created: false, view: { version: 1, status: 'waiting' } });
    await h.engine.close();
  });

  it('a start retried after a deploy changed the input schema is the same start: the version that started the workflow compares the input', async () => {
    const order = (version: number, input: z.ZodType) =>
      defineWorkflow({ name: 'order', version, input, steps: [{ kind: 'produce', name: 'take', run: async () => `taken on v${version}` }] });
    const v1 = order(1, z.object({ sku: z.string() }));
    // v2 requires a field v1's callers never sent, and defaults another.
    const v2 = order(2, z.object({ sku: z.string(), channel: z.enum(['web', 'shop']) }));
    const v3 = order(3, z.object({ sku: z.string(), qty: z.number().default(1) }));
    const definitions = createRegistry([v1]);
    const h = createHarness({ definitions });
    await h.engine.start('order', { sku: 'A-1' }, { id: 'o1' });
    expect(await h.engine.settled('o1')).toMatchObject({ status: 'completed', version: 1 });

    definitions.register(v2);
    // The client retries its v1 start: v2's schema refuses the input, but the workflow exists with it.
    expect(await h.engine.start('order', { sku: 'A-1' }, { id: 'o1' })).toMatchObject({ created: false, view: { version: 1, status: 'completed' } });
    definitions.register(v3);
    // v3 parses it to { sku, qty: 1 }, another hash than v1 recorded: still the same start.
    expect(await h.engine.start('order', { sku: 'A-1' }, { id: 'o1' })).toMatchObject({ created: false, view: { version: 1 } });
    // Another input is a conflict, and an invalid input for a new id is still INVALID_INPUT.
    await expect(h.engine.start('order', { sku: 'B-2' }, { id: 'o1' })).rejects.toMatchObject({ code: 'WORKFLOW_CONFLICT' });
    await expect(h.engine.start('order', { sku: 7 }, { id: 'o1' })).rejects.toMatchObject({ code: 'WORKFLOW_CONFLICT' });
    await expect(h.engine.start(v2, { sku: 'A-1' }, { id: 'o2' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await h.events('o1')).toHaveLength(4);
    await h.engine.close();
  });

  it.each([
    ['folded from the whole stream', {}],
    ['from a cached snapshot', { snapshotEvery: 1 }],
  ])('a v1 workflow waiting at a gate survives a restart with v1 and v2 registered and finishes on v1 (%s)', async (_how, engine) => {
    const h = createHarness({ definitions: createRegistry([greetingV1]), engine });
    await h.engine.start('greeting', { name: 'Ada', approval: true }, { id: 'gated' });
    expect(await h.engine.settled('gated')).toMatchObject({ status: 'waiting', version: 1, waitingFor: { step: 'approval' } });
    await h.engine.passivate();
    await h.engine.close();

    // The new deployment registers v2 next to v1.
    h.definitions.register(greetingV2);
    const restarted = h.restart();
    expect(await restarted.recover()).toEqual({ resumed: [], waiting: 1 });
    expect(await restarted.get('gated')).toMatchObject({ status: 'waiting', version: 1 });
    expect(await restarted.send('gated', { type: 'APPROVE' })).toMatchObject({ accepted: true });
    expect(await restarted.settled('gated')).toMatchObject({ status: 'completed', version: 1, output: 'Published: Hello, Ada.' });
    expect(await ranOn(h, 'gated')).toEqual({ version: 1, steps: V1_STEPS });
    await restarted.start('greeting', { name: 'Bob' }, { id: 'new-after-restart' });
    expect(await restarted.settled('new-after-restart')).toMatchObject({ status: 'completed', version: 2 });
    await restarted.close();
  });

  it('a stored v1 workflow whose version is no longer registered is refused with an error naming the definition and version', async () => {
    const h = createHarness({ definitions: createRegistry([greetingV1]), engine: { snapshotEvery: 1 } });
    await h.engine.start('greeting', { name: 'Ada', approval: true }, { id: 'orphan' });
    await h.engine.settled('orphan');
    await h.engine.passivate();
    await h.engine.close();

    // v1 dropped too early: only v2 is registered.
    const restarted = h.restart({ definitions: createRegistry([greetingV2]) });
    expect(await restarted.recover()).toEqual({ resumed: [], waiting: 1 });
    const expected = { code: 'UNKNOWN_DEFINITION_VERSION', message: 'Workflow orphan was written by greeting v1, which is not registered' };
    await expect(restarted.get('orphan')).rejects.toMatchObject(expected);
    await expect(restarted.send('orphan', { type: 'APPROVE' })).rejects.toMatchObject(expected);
    // Nothing was written to the stream meanwhile; v2 still starts new workflows.
    expect((await h.events('orphan')).at(-1)?.type).toBe('HumanInputRequested');
    await restarted.start('greeting', { name: 'Bob' }, { id: 'fresh' });
    expect(await restarted.settled('fresh')).toMatchObject({ status: 'completed', version: 2 });
    await restarted.close();
  });

  it('a v1 step cut off by a shutdown resumes on v1 after a restart; with v1 unregistered, recover() skips it, naming it, and resumes the others', async () => {
    // The first attempt of `draft` (per version) runs until the shutdown aborts it; the next one returns at once.
    const attempts = new Map<number, number>();
    const slow = (version: number) =>
      defineWorkflow({
        name: 'greeting',
        version,
        input: z.object({}),
        steps: [
          {
            kind: 'produce',
            name: 'draft',
            run: ({ signal }) => {
              attempts.set(version, (attempts.get(version) ?? 0) + 1);
              return (attempts.get(version) ?? 0) > 1
                ? Promise.resolve(`drafted v${version}`)
                : new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
            },
          },
          { kind: 'produce', name: 'publish', run: async ({ outputs }) => `published ${String(outputs.draft)}` },
        ],
      });
    const [slowV1, slowV2] = [slow(1), slow(2)];
    const h = createHarness({ definitions: createRegistry([slowV1, slowV2]) });
    await h.engine.start('greeting', {}, { id: 'in-flight', version: 1 });
    await h.engine.start('greeting', {}, { id: 'after-it', version: 2 });
    await h.engine.close();
    for (const id of ['in-flight', 'after-it']) expect((await h.events(id)).map((event) => event.type)).toEqual(['WorkflowStarted', 'StepStarted']);

    // A deploy that dropped v1 too early: the engine leaves that workflow alone rather than fold v1's record through v2,
    // says so, and still resumes the workflow after it.
    const { logger, records } = captureLogger();
    const dropped = h.restart({ definitions: createRegistry([slowV2]), logger });
    expect(await dropped.recover()).toEqual({
      resumed: ['after-it'],
      waiting: 0,
      blocked: [{ workflowId: 'in-flight', definition: 'greeting', version: 1 }],
    });
    expect(records.filter((record) => record.level === 'warn')).toEqual([
      expect.objectContaining({
        message: 'Workflow not recovered: the definition version that started it is not registered',
        workflowId: 'in-flight',
        definition: 'greeting',
        version: 1,
      }),
    ]);
    expect(await dropped.settled('after-it')).toMatchObject({ status: 'completed', version: 2, output: 'published drafted v2' });
    await dropped.close();
    expect((await h.events('in-flight')).map((event) => event.type)).toEqual(['WorkflowStarted', 'StepStarted']);

    // v1 registered again next to v2: the cut-off step runs again, on v1, and the workflow finishes there.
    const restored = h.restart({ definitions: createRegistry([slowV1, slowV2]) });
    expect(await restored.recover()).toEqual({ resumed: ['in-flight'], waiting: 0 });
    expect(await restored.settled('in-flight')).toMatchObject({ status: 'completed', version: 1, output: 'published drafted v1' });
    expect(await ranOn(h, 'in-flight')).toEqual({ version: 1, steps: ['draft', 'publish'] });
    expect(Object.fromEntries(attempts)).toEqual({ 1: 2, 2: 2 });
    await restored.close();
  });
});
