import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { openEventStore, type EventStore } from '../../src/eventstore/index.js';
import { isProjectionStopped, openProjectionsInWorker, type LiveProjections } from '../../src/projections/index.js';
import { briefHistory } from './support/historyBuilder.js';

describe('projections in a worker thread (SQLite)', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  const setup = async (pollIntervalMs: number): Promise<{ store: EventStore; projections: LiveProjections; url: string }> => {
    const dir = mkdtempSync(join(tmpdir(), 'ecl-projworker-'));
    const url = `sqlite:${join(dir, 'ecl.db')}`;
    const store = await openEventStore(url);
    cleanup.push(
      () => rmSync(dir, { recursive: true, force: true }),
      () => store.close(),
    );
    const projections = await openProjectionsInWorker({ storeUrl: url, store, pollIntervalMs });
    cleanup.push(() => projections.close());
    return { store, projections, url };
  };

  it('catches up in the worker, then follows the log: waitFor resolves only once the queries see the write', async () => {
    const { store, projections } = await setup(200);
    expect(projections.thread?.id).not.toBe(threadId);
    const first = briefHistory('w1');
    const before = (await store.append(first.stream, first.events, { expectedRevision: 'no_stream' })).position;
    expect(await projections.runner.catchUp()).toMatchObject({ checkpoint: before, head: before });
    expect((await projections.queries.getStatus('w1'))?.status).toBe('completed');
    projections.runner.start();

    // The worker notices this thread's commit only at its next poll, so the read must wait for it.
    const second = briefHistory('w2');
    const position = (await store.append(second.stream, second.events, { expectedRevision: 'no_stream' })).position;
    await projections.runner.waitFor(position, { timeoutMs: 10_000 });
    expect((await projections.queries.getStatus('w2'))?.status).toBe('completed');
    expect(await projections.runner.lag()).toEqual({ head: position, checkpoint: position, positions: 0n });
  });

  it('committed() makes the worker read at once: with polling an hour apart, waitFor still resolves', async () => {
    const { store, projections } = await setup(3_600_000);
    await projections.runner.catchUp();
    projections.runner.start();
    const history = briefHistory('w3');
    const position = (await store.append(history.stream, history.events, { expectedRevision: 'no_stream' })).position;
    projections.committed?.();
    projections.committed?.(); // coalesced with the first: one message per turn of the event loop
    await projections.runner.waitFor(position, { timeoutMs: 30_000 });
    expect((await projections.queries.getStatus('w3'))?.status).toBe('completed');
  });

  it('close ends the worker and fails the waits still pending', async () => {
    const { projections } = await setup(5);
    await projections.runner.catchUp();
    projections.runner.start();
    const pending = projections.runner.waitFor(1_000_000n, { timeoutMs: 60_000 });
    let ended = false;
    void projections.thread!.exited.then(() => (ended = true));
    await projections.close();
    expect(ended).toBe(true);
    await expect(pending).rejects.toSatisfy(isProjectionStopped);
  });

  it('a worker that dies is replaced: the new one goes on from the checkpoint, applying each event once', async () => {
    const { store, projections } = await setup(5);
    await projections.runner.catchUp();
    projections.runner.start();
    const first = briefHistory('w1');
    await projections.runner.waitFor((await store.append(first.stream, first.events, { expectedRevision: 'no_stream' })).position, { timeoutMs: 10_000 });
    const pending = projections.runner.waitFor(1_000_000n, { timeoutMs: 60_000 });
    const before = projections.thread!.id;

    await projections.thread!.terminate();
    await expect(pending).rejects.toThrow(/projection worker exited/);
    const second = briefHistory('w2');
    const position = (await store.append(second.stream, second.events, { expectedRevision: 'no_stream' })).position;
    await projections.runner.waitFor(position, { timeoutMs: 30_000 });
    expect(projections.thread!.id).not.toBe(before);
    expect((await projections.queries.getStatus('w2'))?.status).toBe('completed');
    expect((await projections.queries.getAudit('w1')).map((entry) => entry.revision)).toEqual(first.events.map((_, revision) => revision));
    expect((await projections.queries.getAudit('w2')).map((entry) => entry.revision)).toEqual(second.events.map((_, revision) => revision));
  });

  it('when applying fails the waiting reads learn why, and the runner follows the log again by itself once it can', async () => {
    const { store, projections } = await setup(5);
    await projections.runner.catchUp();
    projections.runner.start();
    // A trigger stands in for a failing disk: every write of this workflow's status row aborts.
    const db = new Database(projections.path);
    cleanup.push(() => void db.close());
    db.exec(`CREATE TRIGGER poisoned BEFORE INSERT ON workflow_status WHEN NEW.workflow_id = 'poison' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
    const poison = briefHistory('poison');
    const position = (await store.append(poison.stream, poison.events, { expectedRevision: 'no_stream' })).position;
    await expect(projections.runner.waitFor(position, { timeoutMs: 30_000 })).rejects.toThrow(
      /projections failed \(disk on fire\); they follow the log again in \d+ ms/,
    );
    expect(await projections.queries.getStatus('poison')).toBeUndefined();

    db.exec('DROP TRIGGER poisoned');
    // A retry that failed just before the drop may still fail a read that was already waiting; the next one sees the recovery.
    for (let attempt = 0; ; attempt += 1) {
      const reached = await projections.runner.waitFor(position, { timeoutMs: 30_000 }).then(
        () => true,
        (error: unknown) => {
          if (attempt >= 5) throw error;
          return false;
        },
      );
      if (reached) break;
    }
    expect((await projections.queries.getStatus('poison'))?.status).toBe('completed');
    expect((await projections.queries.getAudit('poison')).map((entry) => entry.revision)).toEqual(poison.events.map((_, revision) => revision));
  });

  it('a store the worker cannot open fails the open with the worker’s reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecl-projworker-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = await openEventStore(`sqlite:${join(dir, 'ecl.db')}`);
    cleanup.push(() => store.close());
    // A folder is no SQLite file: the worker's openEventStore refuses it.
    await expect(openProjectionsInWorker({ storeUrl: `sqlite:${dir}`, store, projectionsPath: join(dir, 'p.db') })).rejects.toThrow(
      /projection worker failed: Cannot open event store/,
    );
  });
});
