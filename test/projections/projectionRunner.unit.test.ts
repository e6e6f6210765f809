import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../src/eventstore/memoryEventStore.js';
import type { EventStore } from '../../src/eventstore/index.js';
import {
  createProjectionQueries,
  createProjectionRunner,
  isProjectionStopped,
  isProjectionTimeout,
  openProjectionDatabase,
  statusReadModel,
  DEFAULT_READ_MODELS,
  type ReadModel,
} from '../../src/projections/index.js';
import { briefHistory, createHistory, type History } from './support/historyBuilder.js';
import { dumpReadModels } from './support/projectionSpec.js';

const append = async (store: EventStore, ...histories: History[]) => {
  let position = 0n;
  for (const history of histories) position = (await store.append(history.stream, history.events, { expectedRevision: 'no_stream' })).position;
  return position;
};

/** A read model standing in for a failing disk: applying an event throws whenever `fails` says so. */
const diskFullWhen = (fails: (position: bigint) => boolean): ReadModel => ({
  name: 'disk',
  schemaVersion: 1,
  migrate: () => undefined,
  drop: () => undefined,
  createApplier: () => ({
    apply: ({ position }) => {
      if (fails(position)) throw new Error('disk full');
    },
    flush: () => undefined,
    abort: () => undefined,
  }),
});

describe('projection runner', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  const setup = (batchSize = 5) => {
    const store = createMemoryEventStore();
    const db = openProjectionDatabase(':memory:');
    const runner = createProjectionRunner({ store, db, batchSize });
    cleanup.push(
      () => store.close(),
      () => void db.close(),
      () => runner.stop().catch(() => undefined),
    );
    return { store, db, runner, queries: createProjectionQueries(db) };
  };

  it('catches up from the log in batches, reporting progress, and ignores non-workflow streams', async () => {
    const { store, runner, queries } = setup(4);
    await store.append('ecl.other-1', [{ type: 'Noise', data: {} }]);
    const head = await append(store, briefHistory('w1'), briefHistory('w2'));
    const progress: number[] = [];
    const result = await runner.catchUp({ onProgress: ({ processed }) => progress.push(processed) });
    expect(result).toEqual({ processed: 30, checkpoint: head, head });
    expect(progress).toEqual([4, 8, 12, 16, 20, 24, 28, 30]);
    expect((await queries.getStatus('w2'))?.status).toBe('completed');
    expect(runner.skipped()).toEqual([]);
    expect(await runner.lag()).toEqual({ head, checkpoint: head, positions: 0n });
  });

  it('reports lag as positions between the newest workflow event and the checkpoint', async () => {
    const { store, runner } = setup();
    expect(await runner.lag()).toEqual({ head: null, checkpoint: null, positions: 0n });
    const head = await append(store, briefHistory('w1'));
    expect((await runner.lag()).positions).toBe(head + 1n);
    runner.applyEvents(await store.readAll({ limit: 10 }));
    expect(await runner.lag()).toEqual({ head, checkpoint: 10n, positions: head - 10n });
  });

  it('follows the log live; waitFor resolves once the checkpoint reaches a position', async () => {
    const { store, runner, queries } = setup(3);
    runner.start();
    const position = await append(store, briefHistory('live-1', { finish: false }));
    await runner.waitFor(position);
    expect(runner.checkpoint()).toBe(position);
    expect((await queries.getStatus('live-1'))?.status).toBe('running');
    const done = await store.append('ecl.workflow-live-1', createHistory({ workflowId: 'live-1' }).completed('ok').events);
    await runner.waitFor(done.position);
    expect((await queries.getStatus('live-1'))?.status).toBe('completed');
  });

  it('times out waiting for a position never reached, and fails waiters when stopped', async () => {
    const { runner } = setup();
    await expect(runner.waitFor(5n, { timeoutMs: 10 })).rejects.toSatisfy(isProjectionTimeout);
    runner.start();
    const waiting = runner.waitFor(5n, { timeoutMs: 60_000 });
    await runner.stop();
    await expect(waiting).rejects.toSatisfy(isProjectionStopped);
  });

  it('applies each event once even when two runners share the database', async () => {
    const { store, db, runner } = setup(4);
    const other = createProjectionRunner({ store, db, batchSize: 3 });
    const head = await append(store, briefHistory('s1'), briefHistory('s2', { revisions: 3 }));
    runner.start();
    other.start();
    await Promise.all([runner.waitFor(head), other.waitFor(head)]);
    await other.stop();
    const audit = db
      .prepare<[], { n: number; keys: number }>("SELECT COUNT(*) AS n, COUNT(DISTINCT workflow_id || '/' || revision) AS keys FROM audit_entries")
      .get();
    expect(audit).toEqual({ n: 40, keys: 40 });
  });

  it('rebuilds from zero to the same read models, with progress', async () => {
    const { store, db, runner } = setup(7);
    await append(store, briefHistory('r1'), briefHistory('r2', { finish: false }), briefHistory('r3', { revisions: 4 }));
    await runner.catchUp();
    const before = dumpReadModels(db);
    db.exec("UPDATE workflow_status SET status = 'failed'");
    const seen: number[] = [];
    const result = await runner.rebuild({ onProgress: ({ processed }) => seen.push(processed) });
    expect(result.processed).toBe(15 + 12 + 30);
    expect(seen.at(-1)).toBe(57);
    expect(dumpReadModels(db)).toEqual(before);
  });

  it('a live runner notices a rebuild made by another and follows the log again from the new checkpoint', async () => {
    const { store, db, runner } = setup(4);
    runner.start();
    await runner.waitFor(await append(store, briefHistory('g1')));
    const rebuilder = createProjectionRunner({ store, db });
    await rebuilder.rebuild();
    const position = await append(store, briefHistory('g2'));
    await runner.waitFor(position);
    const audit = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM audit_entries').get();
    expect(audit?.n).toBe(30);
    const fresh = openProjectionDatabase(':memory:');
    await createProjectionRunner({ store, db: fresh }).catchUp();
    expect(dumpReadModels(db)).toEqual(dumpReadModels(fresh));
  });

  it('rebuilds by itself when a read model changes its schema version', async () => {
    const { store, db, runner } = setup();
    await append(store, briefHistory('v1'));
    await runner.catchUp();
    db.exec("UPDATE workflow_status SET status = 'failed'");
    const changed = createProjectionRunner({ store, db, readModels: [{ ...statusReadModel, schemaVersion: statusReadModel.schemaVersion + 1 }] });
    expect(changed.checkpoint()).toBeNull();
    await changed.catchUp();
    expect((await createProjectionQueries(db).getStatus('v1'))?.status).toBe('completed');
  });

  it('upcasts a v0 StepCompleted on read', async () => {
    const { store, runner, queries } = setup();
    const history = createHistory({ workflowId: 'legacy' }).started().stepStarted('draft');
    history.add(
      'StepCompleted',
      {
        step: 'draft',
        iteration: 1,
        result: 'old draft',
        usage: { model: 'claude-2', tokensIn: 7, tokensOut: 9, costUsd: 0.25, latencyMs: 40, promptHash: 'h0' },
      },
      { step: 'draft' },
      null,
    );
    await append(store, history);
    await runner.catchUp();
    expect((await queries.getAudit('legacy')).at(-1)).toMatchObject({
      payloadVersion: 0,
      model: 'claude-2',
      inputTokens: 7,
      outputTokens: 9,
      costUsd: 0.25,
      summary: 'draft completed: old draft',
    });
    expect(runner.skipped()).toEqual([]);
  });

  it('a live runner whose batch fails tells why, fails the waiting reads, and follows the log again after a delay', async () => {
    const store = createMemoryEventStore();
    cleanup.push(() => store.close());
    let broken = true;
    const flaky = diskFullWhen(() => broken);
    const db = openProjectionDatabase(':memory:');
    cleanup.push(() => void db.close());
    const failures: [string, number][] = [];
    let thirdFailure!: () => void;
    const threeFailures = new Promise<void>((resolve) => (thirdFailure = resolve));
    const onFailure = (error: unknown, retryInMs: number) => {
      if (failures.push([(error as Error).message, retryInMs]) === 3) thirdFailure();
    };
    const runner = createProjectionRunner({ store, db, readModels: [...DEFAULT_READ_MODELS, flaky], retryDelaysMs: [5, 20], onFailure });
    cleanup.push(() => runner.stop());
    runner.start();
    const position = await append(store, briefHistory('w1'));
    await expect(runner.waitFor(position, { timeoutMs: 5_000 })).rejects.toThrow('disk full');
    // It keeps trying, backing off to the last delay, and never applies part of a batch.
    await threeFailures;
    expect(failures.slice(0, 3)).toEqual([
      ['disk full', 5],
      ['disk full', 20],
      ['disk full', 20],
    ]);
    expect(runner.checkpoint()).toBeNull();
    expect(await createProjectionQueries(db).getStatus('w1')).toBeUndefined();
    broken = false;
    await runner.waitFor(position, { timeoutMs: 5_000 });
    expect((await createProjectionQueries(db).getAudit('w1')).map((entry) => entry.revision)).toEqual(briefHistory('w1').events.map((_, revision) => revision));
  });

  it('a batch that fails while the runner stops arms no retry: a stopped runner stays stopped', async () => {
    const store = createMemoryEventStore();
    cleanup.push(() => store.close());
    const broken = diskFullWhen(() => true);
    const db = openProjectionDatabase(':memory:');
    const failures: unknown[] = [];
    const runner = createProjectionRunner({
      store,
      db,
      readModels: [...DEFAULT_READ_MODELS, broken],
      retryDelaysMs: [1],
      onFailure: (error) => failures.push(error),
    });
    runner.start();
    await append(store, briefHistory('w1'));
    // The events wait in the live buffer for the next turn; stop applies them first, and that fails.
    await runner.stop();
    db.close();
    expect(failures).toEqual([]);
    expect(() => runner.checkpoint()).toThrow(/not open/);
  });

  it('forgets the rows a failed batch had queued: nothing of it lands with a later batch', async () => {
    const store = createMemoryEventStore();
    cleanup.push(() => store.close());
    await append(store, briefHistory('w1'), briefHistory('w2'));
    const events = await store.readAll({});
    let failAt: number | undefined = 10;
    const failing = diskFullWhen((position) => failAt !== undefined && position === BigInt(failAt));
    const db = openProjectionDatabase(':memory:');
    cleanup.push(() => void db.close());
    const runner = createProjectionRunner({ store, db, readModels: [...DEFAULT_READ_MODELS, failing] });
    expect(() => runner.applyEvents(events)).toThrow('disk full');
    expect(runner.checkpoint()).toBeNull();
    failAt = undefined;
    runner.applyEvents(events.slice(0, 3));
    expect((await createProjectionQueries(db).getAudit('w1')).map((entry) => entry.revision)).toEqual([0, 1, 2]);
    runner.applyEvents(events.slice(3));

    const reference = openProjectionDatabase(':memory:');
    cleanup.push(() => void reference.close());
    await createProjectionRunner({ store, db: reference }).catchUp();
    expect(dumpReadModels(db)).toEqual(dumpReadModels(reference));
  });
});
