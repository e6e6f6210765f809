import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { BACKWARDS, KurrentDBClient } from '@kurrent/kurrentdb-client';
import { firstValueFrom, take, toArray, filter as where } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWrongExpectedRevision, openEventStore, type EventToAppend } from '../../src/eventstore/index.js';
import { openKurrentDbEventStore } from '../../src/eventstore/kurrentdb/index.js';
import { startFakeKurrentDbServer, type FakeKurrentDbServer } from './support/fakeKurrentDbServer.js';

const batch = (count: number): EventToAppend[] => Array.from({ length: count }, (_, index) => ({ id: randomUUID(), type: 'Counted', data: { index } }));
const unique = (label: string) => `${label}${randomUUID().slice(0, 8)}`;

describe.each(['batch', 'unary'] as const)('KurrentDB adapter on the gRPC test server (not a real KurrentDB), %s appends', (appendMethod) => {
  let server: FakeKurrentDbServer;
  beforeAll(async () => {
    server = await startFakeKurrentDbServer({ appendMethod });
  });
  afterAll(async () => {
    await server.close();
  });

  it('uses the append RPC the server lists and sends the expected revision: a stale one is a conflict, and nothing is written', async () => {
    const store = await openKurrentDbEventStore(server.url);
    const stream = `${unique('conflict')}-1`;
    await store.append(stream, batch(2), { expectedRevision: 'no_stream' });
    const before = server.log.events.length;

    for (const [expected, actual] of [
      [0, 1],
      [5, 1],
      ['no_stream', 1],
    ] as const) {
      const error = await store.append(stream, batch(1), { expectedRevision: expected }).catch((caught: unknown) => caught);
      expect(isWrongExpectedRevision(error)).toBe(true);
      expect(error).toMatchObject({ code: 'WRONG_EXPECTED_REVISION', stream, expected, actual, retryable: false });
    }
    const missing = await store.append(`${unique('absent')}-1`, batch(1), { expectedRevision: 'stream_exists' }).catch((caught: unknown) => caught);
    expect(missing).toMatchObject({ code: 'WRONG_EXPECTED_REVISION', expected: 'stream_exists', actual: 'no_stream' });

    expect(server.log.events.length).toBe(before);
    expect(server.log.stream(stream)).toHaveLength(2);
    const used = appendMethod === 'batch' ? 'BatchAppend' : 'Append';
    const unused = appendMethod === 'batch' ? 'Append' : 'BatchAppend';
    expect(server.calls.get(used)).toBeGreaterThan(0);
    expect(server.calls.get(unused) ?? 0).toBe(0);
    await store.close();
  });
});

describe('KurrentDB adapter on the gRPC test server (not a real KurrentDB)', () => {
  let server: FakeKurrentDbServer;
  beforeAll(async () => {
    server = await startFakeKurrentDbServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('never shows KurrentDB system events ($-streams) in reads or subscriptions of $all', async () => {
    const store = await openKurrentDbEventStore(server.url);
    expect(server.log.events.some((e) => e.stream.startsWith('$'))).toBe(true);
    const stream = `${unique('visible')}-1`;
    const live = firstValueFrom(store.subscribeToAll().pipe(where((e) => e.stream.startsWith('$') || e.stream === stream)));
    server.log.writeSystemEvent('$scavenges', '$scavengeStarted', {});
    await store.append(stream, batch(1));
    await expect(live).resolves.toMatchObject({ stream });

    const all = await store.readAll();
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((e) => e.stream.startsWith('$'))).toEqual([]);
    const newest = await store.readAll({ direction: 'backwards', limit: 1 });
    expect(newest[0]!.stream).toBe(stream);
    expect(await store.headPosition()).toBe(newest[0]!.position);
    await store.close();
  });

  it('reports positions as the log offsets KurrentDB uses: increasing, not contiguous, and the same in append results, reads and subscriptions', async () => {
    const store = await openKurrentDbEventStore(server.url);
    const stream = `${unique('positions')}-1`;
    const first = await store.append(stream, batch(3));
    const read = await store.readStream(stream);
    expect(read[2]!.position).toBe(first.position);
    expect(read[1]!.position - read[0]!.position).toBeGreaterThan(1n);
    const delivered = await firstValueFrom(store.subscribeToAll({ afterPosition: read[0]!.position, filter: { streamPrefixes: [stream] } }));
    expect(delivered).toEqual(read[1]);
    await store.close();
  });

  it('reads and subscribes from any position the port allows, though KurrentDB itself refuses offsets inside a record', async () => {
    const writer = await openKurrentDbEventStore(server.url);
    const prefix = unique('anypos');
    for (let index = 0; index < 6; index++) await writer.append(`${prefix}.s${index % 2}-1`, batch(1 + (index % 3)));
    const mine = { streamPrefixes: [prefix] };
    const all = await writer.readAll({ filter: mine });
    const positions = all.map((e) => e.position);
    await writer.close();

    // The server really refuses them: reading from inside a record is an error on KurrentDB.
    const raw = KurrentDBClient.connectionString(server.url);
    const inside = positions[2]! + 1n;
    await expect(
      (async () => {
        for await (const _ of raw.readAll({ direction: BACKWARDS, fromPosition: { commit: inside, prepare: inside }, maxCount: 1 }));
      })(),
    ).rejects.toThrow(/invalid position/);
    await raw.dispose();

    // A fresh store has seen none of these positions, so it has to find readable starts by itself.
    const reader = await openKurrentDbEventStore(server.url);
    const ids = (events: Array<{ id: string }>) => events.map((e) => e.id);
    for (const [index, position] of positions.entries()) {
      for (const from of [position, position + 1n, position + 7n]) {
        const expectedForwards = all.filter((e) => e.position >= from);
        const expectedBackwards = all.filter((e) => e.position <= from).reverse();
        expect(ids(await reader.readAll({ fromPosition: from, filter: mine })), `forwards from ${index}`).toEqual(ids(expectedForwards));
        expect(ids(await reader.readAll({ fromPosition: from, limit: 2, filter: mine }))).toEqual(ids(expectedForwards.slice(0, 2)));
        expect(ids(await reader.readAll({ fromPosition: from, direction: 'backwards', limit: 3, filter: mine })), `backwards from ${index}`).toEqual(
          ids(expectedBackwards.slice(0, 3)),
        );
      }
    }
    const last = positions[positions.length - 1]!;
    expect(await reader.readAll({ fromPosition: last + 1n, filter: mine })).toEqual([]);
    expect(ids(await reader.readAll({ fromPosition: last + 1_000_000n, direction: 'backwards', limit: 1, filter: mine }))).toEqual([all[all.length - 1]!.id]);
    await reader.close();

    const subscriber = await openKurrentDbEventStore(server.url);
    const after = positions[1]! + 3n;
    const delivered = await firstValueFrom(subscriber.subscribeToAll({ afterPosition: after, filter: mine }).pipe(take(all.length - 2), toArray()));
    expect(ids(delivered)).toEqual(ids(all.slice(2)));
    await subscriber.close();
  });

  it('opens esdb:// URLs, and openEventStore dispatches kurrentdb:// URLs to this adapter', async () => {
    const esdb = await openKurrentDbEventStore(server.url.replace('kurrentdb://', 'esdb://'));
    const stream = `${unique('scheme')}-1`;
    await esdb.append(stream, batch(1));
    const viaPort = await openEventStore(server.url);
    expect(viaPort.description).toMatch(/^KurrentDB at kurrentdb:\/\/127\.0\.0\.1:\d+/);
    expect(await viaPort.readStream(stream)).toHaveLength(1);
    await esdb.close();
    await viaPort.close();
  });
});

describe('KurrentDB adapter: an unreachable server at start', () => {
  it('fails with STORE_UNAVAILABLE naming the URL (not its password) when the port refuses connections', async () => {
    const server = await startFakeKurrentDbServer();
    await server.close();
    const url = `kurrentdb://admin:changeit@127.0.0.1:${server.port}?tls=false&discoveryInterval=20`;
    const error = await openKurrentDbEventStore(url, { connectTimeoutMs: 3_000 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    expect((error as Error).message).toContain(`kurrentdb://***@127.0.0.1:${server.port}`);
    expect((error as Error).message).not.toContain('changeit');
  });

  it('fails with STORE_UNAVAILABLE within the connect deadline when the server accepts connections but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const url = `kurrentdb://127.0.0.1:${port}?tls=false&discoveryInterval=20`;
      const error = await openKurrentDbEventStore(url, { connectTimeoutMs: 1_000 }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
      expect((error as Error).message).toContain(`KurrentDB at ${url} is unreachable: no answer within 1000 ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('rejects a URL the client cannot parse with INVALID_STORE_URL', async () => {
    await expect(openKurrentDbEventStore('kurrentdb://127.0.0.1:2113?tls=maybe')).rejects.toMatchObject({ code: 'INVALID_STORE_URL' });
  });
});
