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

  it('decides each append of a group against the appends before it: a replay in the same group, one id in two streams', async () => {
    const store = await open(file());
    const batch = [event('A'), event('B')];
    const outcomes = await Promise.all([
      store.append('x', batch, { expectedRevision: 'no_stream' }),
      store.append('y', batch, { expectedRevision: 'no_stream' }),
      store.append('x', batch, { expectedRevision: 'no_stream' }),
      store.append('x', [batch[0]!], { expectedRevision: 'any' }),
    ]);
    expect(outcomes[2]).toEqual(outcomes[0]);
    expect(outcomes[3]).toEqual({ nextExpectedRevision: 0, position: (await store.readStream('x'))[0]!.position });
    expect((await store.readAll()).map((e) => `${e.stream}@${e.revision}:${e.type}`)).toEqual(['x@0:A', 'x@1:B', 'y@0:A', 'y@1:B']);
  });

  it('rolls the whole group back when SQLite fails an insert for a reason of its own, and goes on with the next group', async () => {
    const path = file();
    const store = await open(path);
    await store.append('before', [event()]);
    const raw = new Database(path);
    opened.push(raw);
    raw.exec("CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.type = 'Refused' BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END");
    raw.close();
    const outcomes = await Promise.allSettled([
      store.append('a', [event(), event()]),
      store.append('before', [event()], { expectedRevision: 0 }),
      store.append('b', [event(), event('Refused')]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringContaining('refused by a trigger'),
    });
    expect((await store.readAll()).map((e) => e.stream)).toEqual(['before']);
    await expect(store.append('before', [event()], { expectedRevision: 0 })).resolves.toMatchObject({ nextExpectedRevision: 1 });
    await expect(store.append('a', [event()], { expectedRevision: 'no_stream' })).resolves.toMatchObject({ nextExpectedRevision: 0 });
  });

  it('migrates a version 1 file on open: the global id index goes, events stay, ids may then repeat across streams', async () => {
    const path = file();
    const id = randomUUID();
    const v1 = new Database(path);
    v1.exec(`CREATE TABLE streams (stream_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
      CREATE TABLE events (position INTEGER PRIMARY KEY, stream_id INTEGER NOT NULL REFERENCES streams (stream_id), revision INTEGER NOT NULL,
        id BLOB NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, created INTEGER NOT NULL);
      CREATE UNIQUE INDEX events_stream_revision ON events (stream_id, revision);
      CREATE UNIQUE INDEX events_id ON events (id);
      INSERT INTO streams (stream_id, name) VALUES (1, 'old');`);
    v1.prepare("INSERT INTO events (stream_id, revision, id, type, data, metadata, created) VALUES (1, 0, ?, 'Old', '{\"n\":1}', '{}', 0)").run(
      Buffer.from(id.replaceAll('-', ''), 'hex'),
    );
    v1.pragma('user_version = 1');
    v1.close();

    const store = await open(path);
    const [old] = await store.readStream('old');
    expect(old).toMatchObject({ id, type: 'Old', data: { n: 1 }, revision: 0 });
    await expect(store.append('old', [{ id, type: 'Old', data: { n: 1 } }], { expectedRevision: 'no_stream' })).resolves.toEqual({
      nextExpectedRevision: 0,
      position: old!.position,
    });
    await expect(store.append('new', [{ id, type: 'Old', data: { n: 1 } }], { expectedRevision: 'no_stream' })).resolves.toMatchObject({
      nextExpectedRevision: 0,
    });
    await store.close();

    const raw = new Database(path, { readonly: true });
    opened.push(raw);
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(2);
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").pluck().all()).toEqual(['events_stream_revision']);
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
