import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openEventStore, type EventStore } from '../../src/eventstore/index.js';
import { openSqliteEventStore, SCHEMA_VERSION } from '../../src/eventstore/sqlite/index.js';

const folder = mkdtempSync(join(tmpdir(), 'ecl-sqlite-'));
const opened: Array<{ close(): unknown }> = [];
const file = () => join(folder, `${randomUUID()}.db`);
const open = async (path: string, options = {}): Promise<EventStore> => {
  const store = await openSqliteEventStore(path, options);
  opened.push(store);
  return store;
};
const event = (type = 'Happened', data: Record<string, unknown> = {}) => ({ id: randomUUID(), type, data: data as never });

afterEach(async () => {
  for (const store of opened.splice(0).reverse()) await store.close();
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('sqlite event store', () => {
  it('creates a versioned schema in WAL mode with durable commits, and keeps events across reopen', async () => {
    const path = file();
    const store = await open(path);
    const { position } = await store.append('order-1', [event('Ordered', { total: 5 })]);
    await store.close();

    const raw = new Database(path, { readonly: true });
    opened.push(raw);
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('page_size', { simple: true })).toBe(16_384);
    raw.close();

    const reopened = await open(path);
    const [read] = await reopened.readStream('order-1');
    expect(read).toMatchObject({ type: 'Ordered', data: { total: 5 }, revision: 0, position });
    await expect(reopened.append('order-1', [event()], { expectedRevision: 0 })).resolves.toMatchObject({ nextExpectedRevision: 1 });
  });

  it('refuses a file written by a newer schema', async () => {
    const path = file();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    await expect(openSqliteEventStore(path)).rejects.toMatchObject({ code: 'INVALID_STORE_URL', message: expect.stringContaining('newer') });
  });

  it('commits appends of one tick together, failing a conflicting one alone', async () => {
    const store = await open(file());
    await store.append('shared', [event()]);
    const outcomes = await Promise.allSettled([
      store.append('a', [event(), event()]),
      store.append('shared', [event(), event()], { expectedRevision: 5 }),
      store.append('b', [event()]),
      store.append('shared', [event()], { expectedRevision: 0 }),
      store.append('shared', [event()], { expectedRevision: 0 }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected']);
    expect((outcomes[4] as PromiseRejectedResult).reason).toMatchObject({ code: 'WRONG_EXPECTED_REVISION', expected: 0, actual: 1 });
    expect((await store.readAll()).map((e) => `${e.stream}@${e.revision}`)).toEqual(['shared@0', 'a@0', 'a@1', 'b@0', 'shared@1']);
  });

  it('rolls back only the batch that reuses a stored event id, leaving the rest of the group', async () => {
    const store = await open(file());
    const taken = event('First');
    await store.append('x', [taken]);
    const outcomes = await Promise.allSettled([
      store.append('y', [event(), event()]),
      store.append('z', [event(), taken, event()]),
      store.append('y', [event()], { expectedRevision: 1 }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'INVALID_EVENT_DATA' });
    expect(await store.readStream('z')).toEqual([]);
    expect((await store.readAll()).map((e) => e.stream)).toEqual(['x', 'y', 'y', 'y']);
  });

  it('sees appends made through another connection to the same file, in reads and subscriptions', async () => {
    const path = file();
    const mine = await open(path, { pollIntervalMs: 10 });
    const theirs = await open(path);
    const watching = firstValueFrom(mine.subscribeToAll().pipe(take(3), toArray(), timeout({ each: 10_000 })));
    const watchingStream = firstValueFrom(mine.subscribeToStream('remote').pipe(take(2), toArray(), timeout({ each: 10_000 })));
    await theirs.append('remote', [event('One')]);
    await theirs.append('remote', [event('Two')], { expectedRevision: 0 });
    await theirs.append('other', [event('Three')]);
    expect((await watching).map((e) => e.type)).toEqual(['One', 'Two', 'Three']);
    expect((await watchingStream).map((e) => e.type)).toEqual(['One', 'Two']);
    await expect(mine.append('remote', [event()], { expectedRevision: 0 })).rejects.toMatchObject({ code: 'WRONG_EXPECTED_REVISION', actual: 1 });
    expect(await mine.headPosition()).toBe(await theirs.headPosition());
  });

  it('checks expected revisions against appends made through another connection since its own last append', async () => {
    const path = file();
    const mine = await open(path);
    const theirs = await open(path);
    await mine.append('shared', [event()], { expectedRevision: 'no_stream' });
    await mine.append('shared', [event()], { expectedRevision: 0 });
    await theirs.append('shared', [event(), event()], { expectedRevision: 1 });
    await expect(mine.append('shared', [event()], { expectedRevision: 1 })).rejects.toMatchObject({ code: 'WRONG_EXPECTED_REVISION', actual: 3 });
    await expect(mine.append('shared', [event()], { expectedRevision: 3 })).resolves.toMatchObject({ nextExpectedRevision: 4 });
    await expect(theirs.append('shared', [event()], { expectedRevision: 3 })).rejects.toMatchObject({ code: 'WRONG_EXPECTED_REVISION', actual: 4 });
    await mine.append('new-elsewhere', [event()]);
    await theirs.append('created-by-them', [event()]);
    await expect(mine.append('created-by-them', [event()], { expectedRevision: 'no_stream' })).rejects.toMatchObject({ actual: 0 });
    expect((await mine.readStream('shared')).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
  });

  it('fails with a retryable STORE_UNAVAILABLE while another connection holds the write lock', async () => {
    const path = file();
    const store = await open(path, { busyTimeoutMs: 20 });
    const blocker = new Database(path);
    opened.push(blocker);
    blocker.prepare('BEGIN IMMEDIATE').run();
    const error = await store.append('locked', [event()]).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    expect((error as Error).message).not.toMatch(/^SqliteError/);
    blocker.prepare('ROLLBACK').run();
    blocker.close();
    await expect(store.append('locked', [event()])).resolves.toMatchObject({ nextExpectedRevision: 0 });
  });

  it('writes appends already queued when closed', async () => {
    const path = file();
    const store = await openEventStore(`sqlite:${path}`);
    const pending = store.append('late', [event()]);
    await store.close();
    await expect(pending).resolves.toMatchObject({ nextExpectedRevision: 0 });
    const reopened = await open(path);
    expect(await reopened.readStream('late')).toHaveLength(1);
  });
});
