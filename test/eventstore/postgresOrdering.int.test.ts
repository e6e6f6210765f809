import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStore, type EventStore, type RecordedEvent } from '../../src/eventstore/index.js';
import { SCHEMA_VERSION } from '../../src/eventstore/postgres/schema.js';
import { startTestPostgres, type TestPostgres } from '../support/embeddedPostgres.js';

const APPENDER = fileURLToPath(new URL('./postgresOrderingAppender.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let server: TestPostgres;
const children = new Set<ReturnType<typeof spawn>>();
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await server?.stop();
});

/** Runs the appender in a child process; resolves with how many events it appended. */
function appendFromChild(url: string, prefix: string, streams: number, rounds: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', APPENDER, url, prefix, String(streams), String(rounds)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      children.delete(child);
      if (code === 0) resolve(Number(out.trim()));
      else reject(new Error(`appender exited with ${code}: ${err}`));
    });
  });
}

/** Appends `rounds` batches of 1–3 events to each of `streams` streams at once, each with its exact expected revision. */
async function appendFrom(store: EventStore, prefix: string, streams: number, rounds: number): Promise<number> {
  let appended = 0;
  await Promise.all(
    Array.from({ length: streams }, async (_, index) => {
      let expected: number | 'no_stream' = 'no_stream';
      for (let round = 0; round < rounds; round++) {
        const batch = Array.from({ length: 1 + ((index + round) % 3) }, () => ({ id: randomUUID(), type: 'Raced', data: { round } }));
        expected = (await store.append(`${prefix}-${index}`, batch, { expectedRevision: expected })).nextExpectedRevision;
        appended += batch.length;
      }
    }),
  );
  return appended;
}

function expectExactlyTheLog(delivered: readonly RecordedEvent[], log: readonly RecordedEvent[]): void {
  expect(new Set(delivered.map((e) => e.id)).size).toBe(delivered.length);
  for (let index = 1; index < delivered.length; index++) expect(delivered[index]!.position).toBeGreaterThan(delivered[index - 1]!.position);
  expect(delivered.map((e) => e.id)).toEqual(log.map((e) => e.id));
}

describe('postgres global order under concurrent writers', () => {
  it('delivers every committed event exactly once, in strictly increasing position, to a live subscriber', async () => {
    const url = server.schemaUrl('order');
    const watcher = await openEventStore(url);
    const writers = await Promise.all(Array.from({ length: 3 }, () => openEventStore(url)));
    const delivered: RecordedEvent[] = [];
    // Two live subscribers: one of the writers' own store, one on a store that only watches.
    const ownDelivered: RecordedEvent[] = [];
    const subscriptions = [watcher.subscribeToAll().subscribe((e) => delivered.push(e)), writers[0]!.subscribeToAll().subscribe((e) => ownDelivered.push(e))];
    try {
      const counts = await Promise.all([
        ...writers.map((store, index) => appendFrom(store, `in${index}`, 12, 15)),
        appendFromChild(url, 'childA', 12, 15),
        appendFromChild(url, 'childB', 12, 15),
      ]);
      const total = counts.reduce((sum, count) => sum + count, 0);
      const log = await watcher.readAll();
      expect(log).toHaveLength(total);
      await expect.poll(() => delivered.length, { timeout: 20_000 }).toBe(total);
      await expect.poll(() => ownDelivered.length, { timeout: 20_000 }).toBe(total);
      expectExactlyTheLog(delivered, log);
      expectExactlyTheLog(ownDelivered, log);
      const revisions = new Map<string, number[]>();
      for (const e of log) revisions.set(e.stream, [...(revisions.get(e.stream) ?? []), e.revision]);
      for (const [stream, seen] of revisions) expect(seen, stream).toEqual([...seen.keys()]);
    } finally {
      for (const subscription of subscriptions) subscription.unsubscribe();
      await Promise.all([watcher, ...writers].map((store) => store.close()));
    }
  });

  it('two stores opening a new schema at once migrate it once', async () => {
    const url = server.schemaUrl('migrate');
    const stores = await Promise.all(Array.from({ length: 4 }, () => openEventStore(url)));
    await Promise.all(stores.map((store, index) => store.append(`s-${index}`, [{ type: 'Opened', data: {} }])));
    expect(await stores[0]!.readAll()).toHaveLength(4);
    const schema = new URL(url).searchParams.get('schema')!;
    const { rows } = await server.sql(`SELECT version FROM "${schema}".schema_version`);
    expect(rows).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, index) => ({ version: index + 1 })));
    await Promise.all(stores.map((store) => store.close()));
  });
});
