import { randomUUID } from 'node:crypto';
import { ConstantBackoff, handleWhen, retry } from 'cockatiel';
import { firstValueFrom, type Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStoreUnavailable, type EventStore, type EventStoreError, type EventToAppend, type RecordedEvent } from '../../src/eventstore/index.js';
import { openKurrentDbEventStore } from '../../src/eventstore/kurrentdb/index.js';
import { captureLogger, type CapturedLog } from './support/captureLogger.js';
import { startFakeKurrentDbServer, type FakeKurrentDbServer } from './support/fakeKurrentDbServer.js';

const retryUnavailable = retry(
  handleWhen((error) => isStoreUnavailable(error) && (error as EventStoreError).retryable),
  { maxAttempts: 20, backoff: new ConstantBackoff(50) },
);

const batch = (count: number, type = 'Counted'): Array<EventToAppend & { id: string }> =>
  Array.from({ length: count }, (_, index) => ({ id: randomUUID(), type, data: { index } }));

/** Collects what a subscription delivers, so a test can wait for a count and then look for gaps and repeats. */
function gather(source: ReturnType<EventStore['subscribeToAll']>) {
  const seen: RecordedEvent[] = [];
  const failures: unknown[] = [];
  const subscription: Subscription = source.subscribe({ next: (e) => seen.push(e), error: (error) => failures.push(error) });
  return { seen, failures, subscription };
}

describe('KurrentDB adapter: connection loss, on the gRPC test server (not a real KurrentDB)', () => {
  let server: FakeKurrentDbServer;
  let store: EventStore;
  let records: CapturedLog[];
  const prefix = () => `loss${randomUUID().slice(0, 8)}`;

  beforeEach(async () => {
    server = await startFakeKurrentDbServer({ writeTimeoutMs: 60_000 });
    const captured = captureLogger();
    records = captured.records;
    store = await openKurrentDbEventStore(server.url, { logger: captured.logger, appendTimeoutMs: 20_000 });
  });
  afterEach(async () => {
    await store.close();
    await server.close();
  });

  it('resumes subscriptions to $all and to a stream after the server drops every connection, with no gap and no duplicate', async () => {
    const category = prefix();
    const stream = `${category}.order-1`;
    const other = `${category}.order-2`;
    const written: string[] = [];
    // As a caller should: an append the store reports as retryable is sent again with the same ids.
    const appendTo = async (name: string, count: number) => {
      const events = batch(count);
      await retryUnavailable.execute(() => store.append(name, events));
      if (name === stream) written.push(...events.map((e) => e.id));
      return events;
    };
    const allIds: string[] = [];
    const write = async (count: number) => {
      allIds.push(...(await appendTo(stream, count)).map((e) => e.id));
      allIds.push(...(await appendTo(other, 1)).map((e) => e.id));
    };

    await write(3);
    const all = gather(store.subscribeToAll({ filter: { streamPrefixes: [category] } }));
    const one = gather(store.subscribeToStream(stream));
    await expect.poll(() => all.seen.length).toBe(allIds.length);

    for (let round = 0; round < 3; round++) {
      server.dropConnections();
      await write(2);
      server.log.writeSystemEvent('$scavenges', '$scavengeStarted', { round });
      await expect.poll(() => all.seen.length, { timeout: 20_000 }).toBe(allIds.length);
    }
    await expect.poll(() => one.seen.length, { timeout: 20_000 }).toBe(written.length);

    expect(all.failures).toEqual([]);
    expect(one.failures).toEqual([]);
    expect(all.seen.map((e) => e.id)).toEqual(allIds);
    expect(one.seen.map((e) => e.id)).toEqual(written);
    expect(one.seen.map((e) => e.revision)).toEqual(written.map((_, index) => index));
    // The drops really happened and were recovered from, not merely survived by luck.
    expect(records.filter((r) => r.level === 'warn' && /subscription dropped/.test(r.message)).length).toBeGreaterThanOrEqual(3);
    all.subscription.unsubscribe();
    one.subscription.unsubscribe();
  });

  it('keeps a subscription waiting through a server outage and resumes where it stopped', async () => {
    const stream = `${prefix()}.outage-1`;
    const before = batch(2);
    await store.append(stream, before);
    const one = gather(store.subscribeToStream(stream));
    await expect.poll(() => one.seen.length).toBe(2);

    await server.stop();
    await expect(store.append(stream, batch(1))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    await server.start();
    const after = batch(3);
    await expect
      .poll(
        async () =>
          await store.append(stream, after, { expectedRevision: 1 }).then(
            () => true,
            () => false,
          ),
        { timeout: 20_000 },
      )
      .toBe(true);

    await expect.poll(() => one.seen.length, { timeout: 20_000 }).toBe(5);
    expect(one.seen.map((e) => e.id)).toEqual([...before, ...after].map((e) => e.id));
    expect(one.failures).toEqual([]);
    one.subscription.unsubscribe();
  });

  it('reports an append cut off mid-flight as STORE_UNAVAILABLE, writes nothing, and the retry succeeds', async () => {
    const stream = `${prefix()}.cut-1`;
    await store.append(stream, batch(1));
    const events = batch(2);
    server.stallNextAppends(1);
    const received = server.appendsReceived;
    const outcome = store.append(stream, events, { expectedRevision: 0 });
    await expect.poll(() => server.appendsReceived).toBe(received + 1);
    server.dropConnections();

    await expect(outcome).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([0]);
    await expect(store.append(stream, events, { expectedRevision: 0 })).resolves.toMatchObject({ nextExpectedRevision: 2 });
    expect((await store.readStream(stream)).map((e) => e.id).slice(1)).toEqual(events.map((e) => e.id));
  });

  it('reports an append whose answer was lost as STORE_UNAVAILABLE; retrying the same ids is idempotent, not a duplicate', async () => {
    const stream = `${prefix()}.lost-1`;
    const events = batch(3);
    server.stallNextAppends(1, { commit: true });
    const received = server.appendsReceived;
    const outcome = store.append(stream, events, { expectedRevision: 'no_stream' });
    await expect.poll(() => server.appendsReceived).toBe(received + 1);
    server.dropConnections();

    await expect(outcome).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    const retried = await store.append(stream, events, { expectedRevision: 'no_stream' });
    const read = await store.readStream(stream);
    expect(read.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(retried).toEqual({ nextExpectedRevision: 2, position: read[2]!.position });
  });

  it('reports appends the server fails (KurrentDB Timeout status) as retryable errors that write nothing', async () => {
    const stream = `${prefix()}.fail-1`;
    server.failNextAppends(2);
    const events = batch(1);
    await expect(store.append(stream, events)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    await expect(store.append(stream, events)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    expect(await store.readStream(stream)).toEqual([]);
    await expect(store.append(stream, events)).resolves.toMatchObject({ nextExpectedRevision: 0 });
  });

  it('serves reads again after a connection drop', async () => {
    const stream = `${prefix()}.read-1`;
    await store.append(stream, batch(4));
    server.dropConnections();
    expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([0, 1, 2, 3]);
    server.dropConnections();
    expect(await store.headPosition()).toBe((await store.readStream(stream, { direction: 'backwards', limit: 1 }))[0]!.position);
    server.dropConnections();
    await expect(firstValueFrom(store.subscribeToStream(stream))).resolves.toMatchObject({ revision: 0 });
  });
});
