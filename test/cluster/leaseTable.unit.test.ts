import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryEventStore, isLeaseLost, workflowStream, type EventStore, type LeaseSync, type WorkerRecord } from '../../src/eventstore/index.js';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.js';

const folders: string[] = [];
const stores: EventStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

const worker = (id: string): WorkerRecord => ({ id, role: 'worker', pid: 1, host: 'h', startedAt: 0, lastSeen: 0, info: {} });
const sync = (id: string, now: number, plan: Partial<Pick<LeaseSync, 'renew' | 'acquire' | 'release'>>): LeaseSync => ({
  worker: worker(id),
  now,
  ttlMs: 1_000,
  renew: plan.renew ?? [],
  acquire: plan.acquire ?? [],
  release: plan.release ?? [],
});
const event = (type: string) => ({ type, data: { v: 1 } });

const adapters: [string, () => Promise<EventStore>][] = [
  ['memory', async () => createMemoryEventStore()],
  [
    'sqlite',
    async () => {
      const folder = mkdtempSync(join(tmpdir(), 'ecl-leases-'));
      folders.push(folder);
      return openSqliteEventStore(join(folder, 'ecl.db'));
    },
  ],
];

describe.each(adapters)('the lease table and fenced appends (%s)', (_name, open) => {
  it('records the partition count once; the first proposal wins', async () => {
    const store = await open();
    stores.push(store);
    expect(await store.leases!.partitions(64)).toBe(64);
    expect(await store.leases!.partitions(8)).toBe(64);
  });

  it('grants a free partition, refuses a held one, and hands an expired one over with a new epoch (simulated clock)', async () => {
    const store = await open();
    stores.push(store);
    const leases = store.leases!;
    const a = await leases.sync(sync('a', 0, { acquire: [0, 1] }));
    expect(a.leases).toEqual([
      { partition: 0, owner: 'a', epoch: 1, expiresAt: 1_000 },
      { partition: 1, owner: 'a', epoch: 1, expiresAt: 1_000 },
    ]);
    const b = await leases.sync(sync('b', 500, { acquire: [0] }));
    expect(b.leases.find((lease) => lease.partition === 0)).toMatchObject({ owner: 'a', epoch: 1 });
    // a renews 1 only; at 1,200 partition 0 has expired and b takes it, epoch 2.
    await leases.sync(sync('a', 600, { renew: [1] }));
    const taken = await leases.sync(sync('b', 1_200, { acquire: [0, 1] }));
    expect(taken.leases).toEqual([
      { partition: 0, owner: 'b', epoch: 2, expiresAt: 2_200 },
      { partition: 1, owner: 'a', epoch: 1, expiresAt: 1_600 },
    ]);
    expect(taken.workers.map((record) => record.id).sort()).toEqual(['a', 'b']);
    // Renewing what it no longer holds gives a nothing; a release keeps the epoch.
    await leases.sync(sync('a', 1_300, { renew: [0, 1], release: [] }));
    const released = await leases.sync(sync('a', 1_400, { release: [1] }));
    expect(released.leases).toContainEqual({ partition: 1, owner: null, epoch: 1, expiresAt: 0 });
    await leases.leave('b');
    expect((await leases.read()).leases).toContainEqual({ partition: 0, owner: null, epoch: 2, expiresAt: 0 });
    expect((await leases.read()).workers.map((record) => record.id)).toEqual(['a']);
  });

  it('a worker known to be gone (its process no longer exists) loses its unexpired leases and its record at once', async () => {
    const store = await open();
    stores.push(store);
    const leases = store.leases!;
    await leases.sync(sync('dead', 0, { acquire: [5] }));
    const refused = await leases.sync(sync('b', 100, { acquire: [5] }));
    expect(refused.leases).toContainEqual({ partition: 5, owner: 'dead', epoch: 1, expiresAt: 1_000 });
    const taken = await leases.sync({ ...sync('b', 200, { acquire: [5] }), evict: ['dead'] });
    expect(taken.leases).toContainEqual({ partition: 5, owner: 'b', epoch: 2, expiresAt: 1_200 });
    expect(taken.workers.map((record) => record.id)).toEqual(['b']);
  });

  it("a stale owner's append after losing its lease fails with LEASE_LOST and writes nothing; the new owner's goes through", async () => {
    const store = await open();
    stores.push(store);
    const leases = store.leases!;
    await leases.sync(sync('old', 0, { acquire: [3] }));
    const stream = workflowStream('w');
    await store.append(stream, [event('WorkflowStarted')], { expectedRevision: 'no_stream', fence: { partition: 3, owner: 'old', epoch: 1 } });
    // The old owner stalls past its TTL; another worker takes the partition over.
    await leases.sync(sync('new', 5_000, { acquire: [3] }));
    const late = store.append(stream, [event('StepCompleted')], { expectedRevision: 0, fence: { partition: 3, owner: 'old', epoch: 1 } });
    await expect(late).rejects.toSatisfy(isLeaseLost);
    expect((await store.readStream(stream)).map((record) => record.type)).toEqual(['WorkflowStarted']);
    // The store's optimistic concurrency still applies to the new owner too.
    await store.append(stream, [event('StepStarted')], { expectedRevision: 0, fence: { partition: 3, owner: 'new', epoch: 2 } });
    expect((await store.readStream(stream)).map((record) => record.type)).toEqual(['WorkflowStarted', 'StepStarted']);
    // Even the same owner with an old epoch (it lost the partition and took it again) is refused.
    await leases.sync(sync('new', 5_100, { release: [3] }));
    await leases.sync(sync('old', 5_200, { acquire: [3] }));
    await leases.sync(sync('new', 5_300, { acquire: [3] }));
    await expect(store.append(stream, [event('X')], { expectedRevision: 1, fence: { partition: 3, owner: 'new', epoch: 2 } })).rejects.toSatisfy(isLeaseLost);
  });

  it('a fenced append in a group commit fails alone; the others of the group are written', async () => {
    const store = await open();
    stores.push(store);
    await store.leases!.sync(sync('a', 0, { acquire: [1] }));
    const results = await Promise.allSettled([
      store.append(workflowStream('x'), [event('A')], { fence: { partition: 1, owner: 'a', epoch: 1 } }),
      store.append(workflowStream('y'), [event('B')], { fence: { partition: 1, owner: 'b', epoch: 1 } }),
      store.append(workflowStream('z'), [event('C')]),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await store.readStream(workflowStream('y'))).toEqual([]);
  });
});
