import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryEventStore, openEventStore, type EventStore } from '../../src/eventstore/index.js';
import { createRegistry, defineWorkflow } from '../../src/machines/index.js';
import { runReplay, inspectionEventsOf, replayWorkflow } from '../../src/replay/index.js';
import { brief, createSampleRegistry } from '../support/definitions.js';
import { appendGolden, loadGolden } from './support/goldens.js';

const dir = mkdtempSync(join(tmpdir(), 'ecl-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Stores a golden in its own SQLite file, then lets `edit` change one stored row behind the store's back. */
async function tamperedStore(name: string, edit: (db: Database.Database) => void): Promise<EventStore> {
  const path = join(dir, `${name}.db`);
  const golden = loadGolden('brief-v1-revise-once.json');
  const writer = await openEventStore(`sqlite:${path}`);
  await appendGolden(writer, golden);
  await writer.close();
  const db = new Database(path);
  edit(db);
  db.close();
  return openEventStore(`sqlite:${path}`);
}

const run = async (store: EventStore, verify = true) => {
  const out: string[] = [];
  const err: string[] = [];
  const outcome = await runReplay({
    workflowId: 'golden-revise-once',
    store,
    registry: createSampleRegistry(),
    verify,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  await store.close();
  return { ...outcome, out, err };
};

// Each file holds the one golden stream, so a revision names one row whatever else the schema holds.
const editData = (revision: number, path: string, value: unknown) => (db: Database.Database) =>
  expect(db.prepare(`UPDATE events SET data = json_set(data, '${path}', json(?)) WHERE revision = ?`).run(JSON.stringify(value), revision).changes).toBe(1);

describe('replay --verify on a stored stream', () => {
  it('passes on the untouched stream', async () => {
    const { exitCode, err } = await run(await tamperedStore('clean', () => undefined));
    expect(exitCode).toBe(0);
    expect(err).toEqual(['verified: the fold reproduces the recorded history and outcome (15 events)']);
  });

  it('names the revision whose feedback was edited', async () => {
    const { exitCode, err } = await run(await tamperedStore('feedback', editData(7, '$.feedback', 'Rewrite everything.')));
    expect(exitCode).toBe(1);
    expect(err[0]).toMatch(/^replay diverges at revision 7: the machine decides .*Quote the churn figure.*, the record says .*Rewrite everything/);
  });

  it('names the revision whose recorded state was edited', async () => {
    const { exitCode, err } = await run(
      await tamperedStore('state', (db) =>
        expect(db.prepare("UPDATE events SET metadata = json_set(metadata, '$.state', ?) WHERE revision = 4").run('{"review":"done"}').changes).toBe(1),
      ),
    );
    expect(exitCode).toBe(1);
    expect(err[0]).toBe('replay diverges at revision 4: recorded state {"review":"done"}, replay gives {"draft":"done"}');
  });

  it('names the revision whose step iteration was edited', async () => {
    const { exitCode, err } = await run(await tamperedStore('iteration', editData(8, '$.iteration', 3)));
    expect(exitCode).toBe(1);
    expect(err[0]).toMatch(/^replay diverges at revision 8: the machine starts .*"iteration":2.*, the record says .*"iteration":3/);
  });

  it('a flipped verdict (a model output the machine accepts either way) shows at the first decision it changes', async () => {
    const { exitCode, err } = await run(await tamperedStore('verdict', editData(6, '$.output.verdict', 'approve')));
    expect(exitCode).toBe(1);
    expect(err[0]).toMatch(/^replay diverges at revision 7: the machine decides to start load #1 .*the record says RevisionRequested/);
  });

  it('without --verify still stops where the machine refuses an event', async () => {
    const { exitCode, err } = await run(await tamperedStore('refused', editData(9, '$.step', 'load')), false);
    expect(exitCode).toBe(1);
    expect(err[0]).toMatch(/^replay diverges at revision 9: The machine does not accept StepCompleted/);
  });
});

describe('replay has no side effects', () => {
  it('never appends, subscribes, calls a model or writes an artifact', async () => {
    const golden = loadGolden('brief-v1-cap-escalated.json');
    const memory = createMemoryEventStore();
    await appendGolden(memory, golden);
    const forbidden = (what: string) => () => {
      throw new Error(`replay must not ${what}`);
    };
    const readOnly: EventStore = { ...memory, append: forbidden('append'), subscribeToAll: forbidden('subscribe'), subscribeToStream: forbidden('subscribe') };
    const activityCalls: string[] = [];
    const trap = (step: string) => async () => {
      activityCalls.push(step);
      throw new Error(`replay ran the ${step} activity (a model call or an artifact write)`);
    };
    // `brief` v1's structure with every activity replaced by a trap: replay must fold without running any.
    const trapped = defineWorkflow({
      name: 'brief',
      version: 1,
      input: brief.input,
      steps: brief.steps.map((step) => (step.kind === 'approval' ? step : { ...step, run: trap(step.name) })),
    });
    const out: string[] = [];
    const outcome = await runReplay({
      workflowId: golden.workflowId,
      store: readOnly,
      registry: createRegistry([trapped]),
      verify: true,
      out: (line) => out.push(line),
      err: () => undefined,
    });
    expect(outcome.exitCode).toBe(0);
    expect(activityCalls).toEqual([]);
    expect(out).toHaveLength(golden.lastRevision + 2);
    expect(await memory.readStream(`ecl.workflow-${golden.workflowId}`)).toHaveLength(golden.lastRevision + 1);
  });
});

describe('replay to the Stately inspector', () => {
  it('sends the actor with its machine definition, then each recorded event and the state after it', async () => {
    const golden = loadGolden('brief-v1-revise-once.json');
    const store = createMemoryEventStore();
    await appendGolden(store, golden);
    const result = await replayWorkflow(golden.workflowId, { store, registry: createSampleRegistry(), to: 3 });
    const events = inspectionEventsOf(result, brief.machine);
    expect(events.map((event) => event.type)).toEqual(['@xstate.actor', ...Array(4).fill(['@xstate.event', '@xstate.snapshot']).flat()]);
    const actor = events[0] as unknown as { name: string; definition: string; sessionId: string };
    expect(actor).toMatchObject({ name: 'brief', sessionId: 'replay:golden-revise-once' });
    expect(JSON.parse(actor.definition)).toMatchObject({ id: 'brief', initial: 'idle' });
    expect(events[2]).toMatchObject({
      type: '@xstate.snapshot',
      snapshot: { value: { extract: 'pending' }, status: 'active' },
      event: { type: 'WorkflowStarted', revision: 0 },
    });
  });
});
