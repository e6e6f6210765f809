import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMemoryEventStore,
  isLeaseLost,
  workflowStream,
  type EventStore,
  type LeaseState,
  type LeaseSync,
  type WorkerRecord,
} from '../../src/eventstore/index.js';
import { openKurrentDbEventStore } from '../../src/eventstore/kurrentdb/index.js';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.js';
import { startFakeKurrentDbServer } from '../kurrentdb/support/fakeKurrentDbServer.js';

const folders: string[] = [];
const stores: EventStore[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const close of closers.splice(0)) await close();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/**
 * The simulated clock: the time of the latest heartbeat. KurrentDB cannot check a fence inside
 * an append, so its adapter judges fences by the worker's clock (leaseFences.ts); the other
 * adapters ignore time in fences.
 */
let simulatedNow = 0;
const simulatedClock = { wall: () => simulatedNow, monotonic: () => simulatedNow };

const worker = (id: string): WorkerRecord => ({ id, role: 'worker', pid: 1, host: 'h', startedAt: 0, lastSeen: 0, info: {} });
const sync = (id: string, now: number, plan: Partial<Pick<LeaseSync, 'renew' | 'acquire' | 'release'>>): LeaseSync => {
  simulatedNow = now;
  return {
    worker: worker(id),
    now,
    ttlMs: 1_000,
    renew: plan.renew ?? [],
    acquire: plan.acquire ?? [],
    release: plan.release ?? [],
  };
};
const event = (type: string) => ({ type, data: { v: 1 } });

/** One store, and more clients of the same database (another process's view of it). */
interface Backing {
  store: EventStore;
  another(): Promise<EventStore>;
}
const opened = async (store: Promise<EventStore>) => {
  const ready = await store;
  stores.push(ready);
  return ready;
};

const adapters: [string, () => Promise<Backing>][] = [
  [
    'memory',
    async () => {
      const store = createMemoryEventStore();
      return { store, another: async () => store };
    },
  ],
  [
    'sqlite',
    async () => {
      const folder = mkdtempSync(join(tmpdir(), 'ecl-leases-'));
      folders.push(folder);
      const file = join(folder, 'ecl.db');
      return { store: await openSqliteEventStore(file), another: () => opened(openSqliteEventStore(file)) };
    },
  ],
  [
    'kurrentdb (gRPC test server)',
    async () => {
      const server = await startFakeKurrentDbServer();
      closers.push(() => server.close());
      const open = () => openKurrentDbEventStore(server.url, { leaseClock: simulatedClock });
      return { store: await open(), another: () => opened(open()) };
    },
  ],
];

describe.each(adapters)('the lease table and fenced appends (%s)', (_name, openBacking) => {
  const open = async () => (await openBacking()).store;
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
  it('heartbeats racing from two clients of one store: each is applied once, and no partition is granted twice', async () => {
    const { store, another } = await openBacking();
    stores.push(store);
    const clients = [store.leases!, (await another()).leases!];
    await clients[0]!.partitions(16);
    const all = Array.from({ length: 16 }, (_, partition) => partition);
    // Eight workers at once, four through each client, all asking for every partition at the same instant.
    const ids = Array.from({ length: 8 }, (_, index) => `w${index}`);
    const results = await Promise.all(ids.map((id, index) => clients[index % 2]!.sync(sync(id, 0, { acquire: all }))));
    const granted = (state: LeaseState, id: string) => state.leases.filter((lease) => lease.owner === id).map((lease) => lease.partition);
    // A sync answers the table after it: who holds what there is what it was granted.
    const winners = ids.filter((id, index) => granted(results[index]!, id).length > 0);
    expect(winners).toHaveLength(1);
    const table = await clients[1]!.read();
    expect(granted(table, winners[0]!)).toEqual(all);
    expect(table.leases.every((lease) => lease.epoch === 1)).toBe(true);
    // No heartbeat was lost: every worker's record is in the table.
    expect(table.workers.map((record) => record.id).sort()).toEqual(ids);
    // After the winner's leases expire, the next racers split nothing twice either.
    const later = await Promise.all(ids.slice(1).map((id, index) => clients[index % 2]!.sync(sync(id, 2_000, { acquire: all }))));
    const takers = ids.slice(1).filter((id, index) => granted(later[index]!, id).length > 0);
    expect(takers).toHaveLength(1);
    // Listed rather than counted, so that a failure shows which leases and what holds them.
    const final = await clients[0]!.read();
    expect(final.leases.filter((lease) => lease.owner !== takers[0] || lease.epoch !== 2)).toEqual([]);
    expect(final.leases).toHaveLength(16);
  });
});
