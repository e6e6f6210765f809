import { randomUUID } from 'node:crypto';
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KurrentDBClient } from '@kurrent/kurrentdb-client';
import { isLeaseLost, isStoreUnavailable, workflowStream, type EventStore, type LeaseSync } from '../../src/eventstore/index.js';
import { openKurrentDbEventStore } from '../../src/eventstore/kurrentdb/index.js';
import { createKurrentDbLeases } from '../../src/eventstore/kurrentdb/kurrentDbLeaseTable.js';
import { startFakeKurrentDbServer, type FakeKurrentDbServer } from './support/fakeKurrentDbServer.js';

// Leases on KurrentDB: a compare-and-set table in one stream, and fences judged by the worker's
// own clocks before an append is sent (docs/scaling.md, *KurrentDB*). The table's shared rules
// run in test/cluster/leaseTable.unit.test.ts; this file covers what is KurrentDB's own.

const TTL = 1_000;
const request = (id: string, now: number, acquire: number[] = [], renew: number[] = []): LeaseSync => ({
  worker: { id, role: 'worker', pid: 1, host: 'h', startedAt: 0, lastSeen: 0, info: {} },
  now,
  ttlMs: TTL,
  renew,
  acquire,
  release: [],
});
const event = (type: string) => ({ id: randomUUID(), type, data: { v: 1 } });

describe('KurrentDB leases on the gRPC test server (not a real KurrentDB)', () => {
  let server: FakeKurrentDbServer;
  const stores: EventStore[] = [];
  const clock = { wall: 0, monotonic: 0 };
  const open = async (leaseTable?: string) => {
    const store = await openKurrentDbEventStore(server.url, { leaseClock: { wall: () => clock.wall, monotonic: () => clock.monotonic }, leaseTable });
    stores.push(store);
    return store;
  };
  beforeAll(async () => {
    server = await startFakeKurrentDbServer();
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });
  afterAll(async () => {
    await server.close();
  });

  it('a worker stops appending a quarter TTL before its lease expires by its clock, sending nothing; a renewal lets it go on', async () => {
    const store = await open('margin');
    Object.assign(clock, { wall: 0, monotonic: 0 });
    await store.leases!.sync(request('a', 0, [2]));
    const fence = { partition: 2, owner: 'a', epoch: 1 };
    const stream = workflowStream(`margin-${randomUUID()}`);
    Object.assign(clock, { wall: 740, monotonic: 740 });
    await store.append(stream, [event('WorkflowStarted')], { expectedRevision: 'no_stream', fence });
    Object.assign(clock, { wall: 750, monotonic: 750 });
    const sent = server.appendsReceived;
    const late = await store.append(stream, [event('StepStarted')], { expectedRevision: 0, fence }).catch((error: unknown) => error);
    expect(isLeaseLost(late)).toBe(true);
    expect((late as Error).message).toMatch(/too close to its expiry/);
    expect(server.appendsReceived).toBe(sent);
    // Renewed at 800: good until 1,800 - 250 by both clocks.
    Object.assign(clock, { wall: 800, monotonic: 800 });
    await store.leases!.sync(request('a', 800, [], [2]));
    await store.append(stream, [event('StepStarted')], { expectedRevision: 0, fence });
    expect((await store.readStream(stream)).map((record) => record.type)).toEqual(['WorkflowStarted', 'StepStarted']);
  });

  it('a wall clock stepped back gains no time: the monotonic clock ends the lease all the same', async () => {
    const store = await open('stepped');
    Object.assign(clock, { wall: 10_000, monotonic: 0 });
    await store.leases!.sync(request('a', 10_000, [1]));
    // NTP steps the wall clock back 5 s while 800 ms pass.
    Object.assign(clock, { wall: 5_800, monotonic: 800 });
    const late = store.append(workflowStream(`stepped-${randomUUID()}`), [event('X')], { fence: { partition: 1, owner: 'a', epoch: 1 } });
    await expect(late).rejects.toSatisfy(isLeaseLost);
  });

  it('a lease that moved to another process is refused as soon as this process has read the table', async () => {
    const [mine, theirs] = [await open('moved'), await open('moved')];
    Object.assign(clock, { wall: 0, monotonic: 0 });
    await mine.leases!.sync(request('a', 0, [4]));
    // a stalls: by the other process's clock its lease expired, and b takes it (epoch 2).
    await theirs.leases!.sync(request('b', 5_000, [4]));
    await mine.leases!.read();
    const stale = mine.append(workflowStream(`moved-${randomUUID()}`), [event('X')], { fence: { partition: 4, owner: 'a', epoch: 1 } });
    await expect(stale).rejects.toThrow(/held by b \(epoch 2\)/);
  });

  it('racing heartbeats conflict on the table and are each applied once, on the table as the winner left it', async () => {
    const [one, two] = [await open('race'), await open('race')];
    await one.leases!.partitions(8);
    const before = server.log.stream('ecl.cluster-leases-race')!.length;
    const ids = Array.from({ length: 10 }, (_, index) => `r${index}`);
    await Promise.all(ids.map((id, index) => (index % 2 === 0 ? one : two).leases!.sync(request(id, 0, [index % 8]))));
    // One table event per heartbeat: none overwrote another.
    expect(server.log.stream('ecl.cluster-leases-race')!.length - before).toBe(ids.length);
    const table = await two.leases!.read();
    expect(table.workers).toHaveLength(ids.length);
    expect(new Set(table.leases.map((lease) => lease.partition)).size).toBe(table.leases.length);
  });

  it('a server that stops answering fails the heartbeat within its time limit instead of hanging it', async () => {
    const client = KurrentDBClient.connectionString(server.url);
    try {
      const { table } = createKurrentDbLeases({ client, where: 'test', table: 'stalled', tryTimeoutMs: 300 });
      await table.partitions(8);
      server.stallNextAppends(1);
      const started = Date.now();
      const failed = await table.sync(request('a', 0, [1])).catch((error: unknown) => error);
      expect(isStoreUnavailable(failed)).toBe(true);
      expect(Date.now() - started).toBeLessThan(1_500);
      // The next heartbeat goes through.
      expect((await table.sync(request('a', 0, [1]))).leases).toContainEqual({ partition: 1, owner: 'a', epoch: 1, expiresAt: TTL });
    } finally {
      await client.dispose();
    }
  });

  it('the lease stream stays out of reads, subscriptions and the head position, and keeps only its last 50 events', async () => {
    const store = await open();
    const stream = workflowStream(`hidden-${randomUUID()}`);
    const { position } = await store.append(stream, [event('WorkflowStarted')]);
    await store.leases!.partitions(64);
    for (let beat = 0; beat < 60; beat++) await store.leases!.sync(request('a', beat, [0]));
    expect(server.log.stream('ecl.cluster-leases')!.length).toBeGreaterThan(60);
    expect(await store.headPosition()).toBe(position);
    const all = await store.readAll();
    expect(all.some((record) => record.stream.startsWith('ecl.cluster'))).toBe(false);
    expect(await store.readAll({ filter: { streamPrefixes: ['ecl.'] } })).not.toContainEqual(expect.objectContaining({ stream: 'ecl.cluster-leases' }));
    const live = firstValueFrom(store.subscribeToAll({ afterPosition: position }).pipe(take(1), toArray()));
    await store.leases!.sync(request('a', 61, [0]));
    const next = await store.append(workflowStream(`hidden-${randomUUID()}`), [event('WorkflowStarted')]);
    expect((await live).map((record) => record.position)).toEqual([next.position]);
    // `$maxCount` 50 on the lease stream: KurrentDB (and the test server) read only its last 50 events.
    const metadata = server.log.stream('$$ecl.cluster-leases')!.at(-1)!;
    expect(JSON.parse(Buffer.from(metadata.data).toString('utf8'))).toMatchObject({ $maxCount: 50 });
    expect(server.log.firstReadableRevision('ecl.cluster-leases')).toBe(server.log.stream('ecl.cluster-leases')!.length - 50);
  });
});

const realServer = process.env.ECL_ESDB_URL;
describe.skipIf(realServer === undefined)('KurrentDB leases on a real server (ECL_ESDB_URL; skipped when unset)', () => {
  it('grants, refuses, hands over with a new epoch, fences a stale owner, and resolves racing heartbeats', async () => {
    const table = `test-${randomUUID()}`;
    const now = { wall: 0, monotonic: 0 };
    const leaseClock = { wall: () => now.wall, monotonic: () => now.monotonic };
    const [one, two] = [
      await openKurrentDbEventStore(realServer!, { leaseClock, leaseTable: table }),
      await openKurrentDbEventStore(realServer!, { leaseClock, leaseTable: table }),
    ];
    try {
      expect(await one.leases!.partitions(8)).toBe(8);
      expect(await two.leases!.partitions(4)).toBe(8);
      const granted = await one.leases!.sync(request('a', 0, [0, 1]));
      expect(granted.leases.filter((lease) => lease.owner === 'a')).toHaveLength(2);
      expect((await two.leases!.sync(request('b', 500, [0]))).leases.find((lease) => lease.partition === 0)).toMatchObject({ owner: 'a', epoch: 1 });
      const stream = workflowStream(`lease-${randomUUID()}`);
      await one.append(stream, [event('WorkflowStarted')], { expectedRevision: 'no_stream', fence: { partition: 0, owner: 'a', epoch: 1 } });
      await two.leases!.sync(request('b', 5_000, [0]));
      await one.leases!.read();
      await expect(one.append(stream, [event('X')], { expectedRevision: 0, fence: { partition: 0, owner: 'a', epoch: 1 } })).rejects.toSatisfy(isLeaseLost);
      const ids = Array.from({ length: 6 }, (_, index) => `r${index}`);
      await Promise.all(ids.map((id, index) => (index % 2 === 0 ? one : two).leases!.sync(request(id, 6_000, [2 + (index % 6)]))));
      expect((await one.leases!.read()).workers.map((worker) => worker.id)).toEqual(expect.arrayContaining(ids));
    } finally {
      await one.close();
      await two.close();
    }
  });
});
