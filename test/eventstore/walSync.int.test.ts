import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openEventStore } from '../../src/eventstore/index.js';
import { createGroupCommitWriter } from '../../src/eventstore/sqlite/groupCommitWriter.js';
import { prepareDatabase } from '../../src/eventstore/sqlite/schema.js';
import { createStreamIds } from '../../src/eventstore/sqlite/streamIds.js';
import { type FileSync, openWalSync } from '../../src/eventstore/sqlite/walSync.js';
import { prepareAppend } from '../../src/eventstore/prepareAppend.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});
const tempFile = (): string => {
  const folder = mkdtempSync(join(tmpdir(), 'ecl-walsync-'));
  folders.push(folder);
  return join(folder, 'store.db');
};

/** An fsync that completes only when the test says so. */
function heldFsync() {
  const calls: Array<(error: NodeJS.ErrnoException | null) => void> = [];
  const io: FileSync = {
    fsync: (_fd, callback) => {
      calls.push(callback);
    },
    fsyncSync: () => undefined,
  };
  return { io, calls };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const events = (stream: string) => prepareAppend(stream, [{ type: 'Happened', data: { n: 1 } }], 1 << 20);

function writerOn(path: string, io: ReturnType<typeof heldFsync>['io']) {
  const db = new Database(path);
  prepareDatabase(db, { synchronous: 'NORMAL', busyTimeoutMs: 1000 });
  const walSync = openWalSync(`${path}-wal`, io);
  expect(walSync).toBeDefined();
  const committed: string[][] = [];
  const writer = createGroupCommitWriter(db, createStreamIds(db), { walSync, onCommit: (streams) => committed.push([...streams]) });
  return { db, writer, committed, walSync: walSync! };
}

describe('SQLite durability off the event loop (walSync)', () => {
  it('answers an append and wakes subscribers only after the WAL fsync that follows its commit', async () => {
    const path = tempFile();
    const { io, calls } = heldFsync();
    const { db, writer, committed, walSync } = writerOn(path, io);
    let answered = false;
    const first = writer.append('s-1', events('s-1'), 'no_stream').then((result) => {
      answered = true;
      return result;
    });
    await tick();
    // Committed (another connection sees the row) but not yet synced: nobody is told.
    const reader = new Database(path, { readonly: true });
    expect(reader.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 1 });
    expect(calls).toHaveLength(1);
    expect(answered).toBe(false);
    expect(committed).toEqual([]);
    calls[0]!(null);
    expect(await first).toMatchObject({ nextExpectedRevision: 0 });
    expect(committed).toEqual([['s-1']]);
    reader.close();
    await walSync.close();
    db.close();
  });

  it('lets commits made while an fsync runs share the next one', async () => {
    const { io, calls } = heldFsync();
    const { db, writer, walSync } = writerOn(tempFile(), io);
    const first = writer.append('a', events('a'), 'no_stream');
    await tick();
    const second = writer.append('b', events('b'), 'no_stream');
    await tick();
    const third = writer.append('c', events('c'), 'no_stream');
    await tick();
    // Three group commits, one fsync in flight: the two later ones wait for the next.
    expect(calls).toHaveLength(1);
    const done: string[] = [];
    void first.then(() => done.push('a'));
    void second.then(() => done.push('b'));
    void third.then(() => done.push('c'));
    calls[0]!(null);
    await tick();
    expect(done).toEqual(['a']);
    expect(calls).toHaveLength(2);
    calls[1]!(null);
    await Promise.all([second, third]);
    expect(done).toEqual(['a', 'b', 'c']);
    await walSync.close();
    db.close();
  });

  it('reports a failed fsync as STORE_UNAVAILABLE to every caller of the commits it covered; re-appending the same ids then succeeds', async () => {
    const { io, calls } = heldFsync();
    const { db, writer, walSync } = writerOn(tempFile(), io);
    const batch = prepareAppend('s', [{ id: '6a0e4d0c-3f6b-4c1e-9d55-0b1f0b9c2a11', type: 'Happened', data: {} }], 1 << 20);
    const appended = writer.append('s', batch, 'no_stream');
    await tick();
    calls[0]!(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    await expect(appended).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    const again = writer.append('s', batch, 'no_stream');
    await tick();
    calls[1]!(null);
    expect(await again).toMatchObject({ nextExpectedRevision: 0 });
    await walSync.close();
    db.close();
  });

  it('is what a durable store uses, and close() answers every append it accepted', async () => {
    const path = tempFile();
    const store = await openEventStore(`sqlite:${path}`);
    const appends = Array.from({ length: 50 }, (_, index) => store.append(`w-${index}`, [{ type: 'Happened', data: { index } }]));
    await store.close();
    const results = await Promise.all(appends);
    expect(results.map((result) => result.nextExpectedRevision)).toEqual(Array(50).fill(0));
    const reopened = await openEventStore(`sqlite:${path}`);
    expect(await reopened.readAll()).toHaveLength(50);
    await reopened.close();
  });
});
