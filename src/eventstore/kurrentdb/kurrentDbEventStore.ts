import { setMaxListeners } from 'node:events';
import { BACKWARDS, END, FORWARDS, START, jsonEvent, type KurrentDBClient, type ResolvedEvent } from '@kurrent/kurrentdb-client';
import { ExponentialBackoff, handleWhen, retry, timeout, TimeoutStrategy, wrap } from 'cockatiel';
import { Observable, throwError } from 'rxjs';
import type { Logger } from 'winston';
import { EventStoreError, isStoreUnavailable } from '../errors.js';
import { DEFAULT_MAX_APPEND_BYTES, prepareAppend } from '../prepareAppend.js';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  EventToAppend,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
} from '../types.js';
import { assertExpectedRevision, clientFilter, keepFor, streamStateOf } from './clientOptions.js';
import { createKurrentDbLeases } from './kurrentDbLeaseTable.js';
import type { LeaseClock } from './leaseFences.js';
import { readAllWindow } from './readAllWindow.js';
import { createReadablePositions, type RawAllRead } from './readablePositions.js';
import { resilientSubscription, type ClientSubscription } from './resilientSubscription.js';
import { toRecordedEvent } from './toRecordedEvent.js';
import { translateError, type ErrorContext } from './translateError.js';

export interface KurrentDbEventStoreOptions {
  client: KurrentDBClient;
  /** The store URL with credentials masked, for the description, logs and errors. */
  where: string;
  logger: Logger;
  maxAppendBytes?: number;
  /** How long an append may wait for KurrentDB's answer before it is reported as STORE_UNAVAILABLE (default 10 s). */
  appendTimeoutMs?: number;
  /** How long one read may take before it is tried again (default 30 s). */
  readTimeoutMs?: number;
  /** The clocks fenced appends are judged by (tests pass a simulated one; default the system's). */
  leaseClock?: LeaseClock;
  /** Names the lease table (stream `ecl.cluster-leases-<name>`), e.g. one per test run on a shared server; default the server's one table. */
  leaseTable?: string;
}

/**
 * The EventStore port on KurrentDB through `@kurrent/kurrentdb-client`. Appends go through the
 * client's batch-append stream, with `streamState` carrying the expected revision; reads go
 * through the client's read path; subscriptions are KurrentDB catch-up subscriptions that resume
 * after a dropped connection. Every client error is translated to the port's errors here. Leases
 * live in one stream of their own (kurrentDbLeaseTable.ts); a fenced append is checked against
 * them by this process before it is sent (leaseFences.ts), since KurrentDB cannot check them in
 * the append.
 */
export function createKurrentDbEventStore(options: KurrentDbEventStoreOptions): EventStore {
  const { client, where, logger } = options;
  const maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
  const appendTimeoutMs = options.appendTimeoutMs ?? 10_000;
  const readTimeoutMs = options.readTimeoutMs ?? 30_000;
  const leases = createKurrentDbLeases({ client, where, clock: options.leaseClock, table: options.leaseTable });
  const closing = new AbortController();
  // Every in-flight operation and subscription listens for the close.
  setMaxListeners(0, closing.signal);

  const appendPolicy = timeout(appendTimeoutMs, TimeoutStrategy.Aggressive);
  // Reads change nothing, so a transient failure (often the first call after a reconnect) is retried.
  const readPolicy = wrap(
    retry(
      handleWhen((error) => isStoreUnavailable(error) && (error as EventStoreError).retryable),
      {
        maxAttempts: 3,
        backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1_000 }),
      },
    ),
    timeout(readTimeoutMs, TimeoutStrategy.Aggressive),
  );

  const closedError = (during?: string, cause?: unknown) =>
    new EventStoreError('STORE_CLOSED', `The KurrentDB store at ${where} ${during === undefined ? 'is closed' : `was closed during ${during}`}`, { cause });
  const assertOpen = () => {
    if (closing.signal.aborted) throw closedError();
  };
  const fail = (error: unknown, context: Omit<ErrorContext, 'where'>): never => {
    if (closing.signal.aborted) throw closedError(context.operation, error);
    throw translateError(error, { ...context, where });
  };

  /** Runs one read under the read policy; the client's errors become the port's inside, so the retry sees them. */
  const read = async (operation: string, iterate: () => AsyncIterable<ResolvedEvent>, keep?: (e: RecordedEvent) => boolean): Promise<RecordedEvent[]> => {
    assertOpen();
    try {
      return await readPolicy.execute(async () => {
        const out: RecordedEvent[] = [];
        try {
          for await (const resolved of iterate()) {
            const event = toRecordedEvent(resolved);
            if (event === undefined) continue;
            positions.remember(event.position);
            if (keep === undefined || keep(event)) out.push(event);
          }
        } catch (error) {
          if ((error as { type?: string }).type === 'stream-not-found') return [];
          throw translateError(error, { operation, where, timeoutMs: readTimeoutMs });
        }
        return out;
      }, closing.signal);
    } catch (error) {
      return fail(error, { operation, timeoutMs: readTimeoutMs });
    }
  };

  const rawAll: RawAllRead = (direction, from, limit, filter) =>
    read(
      'read "$all"',
      () =>
        client.readAll({
          direction: direction === 'backwards' ? BACKWARDS : FORWARDS,
          fromPosition: from === 'start' ? START : from === 'end' ? END : { commit: from, prepare: from },
          maxCount: limit,
          filter: clientFilter(filter),
        }),
      keepFor(filter),
    );
  const positions = createReadablePositions(rawAll);

  async function append(stream: string, events: readonly EventToAppend[], appendOptions: AppendOptions = {}): Promise<AppendResult> {
    assertOpen();
    const expected = appendOptions.expectedRevision ?? 'any';
    assertExpectedRevision(expected);
    // Refused here, before anything is sent: KurrentDB cannot check the lease in the append itself.
    if (appendOptions.fence !== undefined) leases.fences.check(stream, appendOptions.fence);
    const prepared = prepareAppend(stream, events, maxAppendBytes);
    // prepareAppend serialized data and metadata exactly as the client will (JSON.stringify of the same values).
    const batch = prepared.map((event, index) =>
      jsonEvent({ id: event.id, type: event.type, data: events[index]!.data as never, metadata: (events[index]!.metadata ?? {}) as never }),
    );
    try {
      const result = await appendPolicy.execute(() => client.appendToStream(stream, batch, { streamState: streamStateOf(expected) }), closing.signal);
      const nextExpectedRevision = Number(result.nextExpectedRevision);
      const position = result.position?.commit ?? (await positionOf(stream, nextExpectedRevision));
      positions.remember(position);
      logger.debug('appended to KurrentDB', { stream, events: prepared.length, revision: nextExpectedRevision, position: String(position) });
      return { nextExpectedRevision, position };
    } catch (error) {
      return fail(error, { operation: `append to "${stream}"`, stream, expected, timeoutMs: appendTimeoutMs });
    }
  }

  // KurrentDB leaves the position out of an idempotent answer it cannot locate yet; the event itself has it.
  async function positionOf(stream: string, revision: number): Promise<bigint> {
    const [event] = await readStream(stream, { from: revision, limit: 1 });
    if (event === undefined)
      throw new EventStoreError('STORE_UNAVAILABLE', `KurrentDB acknowledged "${stream}"@${revision} but it cannot be read back`, { retryable: true });
    return event.position;
  }

  async function readStream(stream: string, readOptions: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    assertOpen();
    const backwards = readOptions.direction === 'backwards';
    const from = readOptions.from ?? (backwards ? 'end' : 'start');
    const limit = readOptions.limit ?? Number.MAX_SAFE_INTEGER;
    if (limit <= 0 || (!backwards && from === 'end') || (backwards && from === 'start')) return [];
    return read(`read "${stream}"`, () =>
      client.readStream(stream, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: from === 'start' ? START : from === 'end' ? END : BigInt(from),
        maxCount: Math.floor(limit),
      }),
    );
  }

  async function readAll(readOptions: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    assertOpen();
    try {
      return await readAllWindow(rawAll, positions, readOptions);
    } catch (error) {
      return fail(error, { operation: 'read "$all"' });
    }
  }

  const closedObservable = () => throwError(() => closedError());

  function subscribeToAll(subscribeOptions: SubscribeToAllOptions = {}): Observable<RecordedEvent> {
    if (closing.signal.aborted) return closedObservable();
    const filter = subscribeOptions.filter;
    if (filter?.streamPrefixes?.length === 0) return untilClosed();
    const keep = keepFor(filter);
    const start = subscribeOptions.afterPosition;
    return resilientSubscription<bigint>({
      name: '$all',
      start,
      open: async (after) => {
        // Resuming after a delivered event is always readable; a caller's position may need resolving.
        const from = after === undefined ? 'start' : after === start ? await positions.startAtOrBefore(after, filter) : after;
        return client.subscribeToAll({
          fromPosition: from === 'start' ? START : { commit: from, prepare: from },
          filter: clientFilter(filter),
        }) as ClientSubscription;
      },
      cursorOf: (event) => {
        positions.remember(event.position);
        return event.position;
      },
      isAfter: (event, cursor) => event.position > cursor && (keep === undefined || keep(event)),
      translate: (error) =>
        closing.signal.aborted ? closedError('a subscription', error) : translateError(error, { operation: 'subscribe to "$all"', where }),
      closed: closing.signal,
      logger,
    });
  }

  function subscribeToStream(stream: string, subscribeOptions: SubscribeToStreamOptions = {}): Observable<RecordedEvent> {
    if (closing.signal.aborted) return closedObservable();
    return resilientSubscription<number>({
      name: stream,
      start: subscribeOptions.afterRevision,
      open: (after) => client.subscribeToStream(stream, { fromRevision: after === undefined ? START : BigInt(after) }) as ClientSubscription,
      cursorOf: (event) => event.revision,
      isAfter: (event, cursor) => event.revision > cursor,
      translate: (error) => translateError(error, { operation: `subscribe to "${stream}"`, where }),
      closed: closing.signal,
      logger,
    });
  }

  /** A subscription that can match nothing: it only completes when the store closes. */
  const untilClosed = () =>
    new Observable<RecordedEvent>((subscriber) => {
      const complete = () => subscriber.complete();
      closing.signal.addEventListener('abort', complete);
      return () => closing.signal.removeEventListener('abort', complete);
    });

  return {
    description: `KurrentDB at ${where}`,
    leases: leases.table,
    append,
    readStream,
    readAll,
    subscribeToAll,
    subscribeToStream,
    async headPosition() {
      const [newest] = await readAll({ direction: 'backwards', limit: 1 });
      return newest?.position ?? null;
    },
    async close() {
      if (closing.signal.aborted) return;
      closing.abort();
      await client.dispose();
      logger.debug('closed KurrentDB store', { where });
    },
  };
}
