import { setMaxListeners } from 'node:events';
import {
  ANY,
  BACKWARDS,
  END,
  FORWARDS,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  jsonEvent,
  streamNameFilter,
  type AppendStreamState,
  type KurrentDBClient,
  type ReadAllOptions as ClientReadAllOptions,
  type ResolvedEvent,
} from '@kurrent/kurrentdb-client';
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
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamFilter,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
} from '../types.js';
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
}

// Excludes KurrentDB's system streams ($epoch-information, $$metadata, projections' $-streams).
const USER_STREAMS = streamNameFilter({ regex: '^[^$]' });

/**
 * The EventStore port on KurrentDB through `@kurrent/kurrentdb-client`. Appends go through the
 * client's batch-append stream, with `streamState` carrying the expected revision (the client
 * silently ignores the old `expectedRevision` option name); reads go through the client's read
 * path; subscriptions are KurrentDB catch-up subscriptions that resume after a dropped connection.
 */
export function createKurrentDbEventStore(options: KurrentDbEventStoreOptions): EventStore {
  const { client, where, logger } = options;
  const maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
  const appendTimeoutMs = options.appendTimeoutMs ?? 10_000;
  const readTimeoutMs = options.readTimeoutMs ?? 30_000;
  const closing = new AbortController();
  // Every in-flight operation and subscription listens for the close.
  setMaxListeners(0, closing.signal);

  const appendPolicy = timeout(appendTimeoutMs, TimeoutStrategy.Aggressive);
  // Reads change nothing, so a transient failure (often the first call after a reconnect) is retried.
  const readPolicy = wrap(
    retry(handleWhen((error) => isStoreUnavailable(error) && (error as EventStoreError).retryable), {
      maxAttempts: 3,
      backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1_000 }),
    }),
    timeout(readTimeoutMs, TimeoutStrategy.Aggressive),
  );

  const assertOpen = () => {
    if (closing.signal.aborted) throw new EventStoreError('STORE_CLOSED', `The KurrentDB store at ${where} is closed`);
  };
  const fail = (error: unknown, context: Omit<ErrorContext, 'where'>): never => {
    if (closing.signal.aborted) throw new EventStoreError('STORE_CLOSED', `The KurrentDB store at ${where} was closed during ${context.operation}`, { cause: error });
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
            if (event !== undefined && (keep === undefined || keep(event))) out.push(event);
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

  const readAllRaw = (operation: string, clientOptions: ClientReadAllOptions, filter?: StreamFilter) =>
    read(operation, () => client.readAll({ ...clientOptions, filter: clientFilter(filter) }), keepFor(filter));

  async function append(stream: string, events: readonly EventToAppend[], appendOptions: AppendOptions = {}): Promise<AppendResult> {
    assertOpen();
    const expected = appendOptions.expectedRevision ?? 'any';
    assertExpectedRevision(expected);
    const prepared = prepareAppend(stream, events, maxAppendBytes);
    if (new Set(prepared.map((e) => e.id)).size !== prepared.length) {
      throw new EventStoreError('INVALID_EVENT_DATA', 'An append carries the same event id twice');
    }
    const batch = prepared.map((event, index) =>
      jsonEvent({ id: event.id, type: event.type, data: events[index]!.data as never, metadata: (events[index]!.metadata ?? {}) as never }),
    );
    const operation = `append to "${stream}"`;
    try {
      const result = await appendPolicy.execute(() => client.appendToStream(stream, batch, { streamState: streamStateOf(expected) }), closing.signal);
      const nextExpectedRevision = Number(result.nextExpectedRevision);
      const position = result.position?.commit ?? (await positionOf(stream, nextExpectedRevision));
      logger.debug('appended to KurrentDB', { stream, events: prepared.length, revision: nextExpectedRevision, position: String(position) });
      return { nextExpectedRevision, position };
    } catch (error) {
      return fail(error, { operation, stream, expected, timeoutMs: appendTimeoutMs });
    }
  }

  // KurrentDB leaves the position out of an idempotent answer it cannot locate yet; the event itself has it.
  async function positionOf(stream: string, revision: number): Promise<bigint> {
    const [event] = await readStream(stream, { from: revision, limit: 1 });
    if (event === undefined) throw new EventStoreError('STORE_UNAVAILABLE', `KurrentDB acknowledged "${stream}"@${revision} but it cannot be read back`, { retryable: true });
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
    const backwards = readOptions.direction === 'backwards';
    const from = readOptions.fromPosition ?? (backwards ? 'end' : 'start');
    const limit = Math.floor(readOptions.limit ?? Number.MAX_SAFE_INTEGER);
    const filter = readOptions.filter;
    if (limit <= 0 || filter?.streamPrefixes?.length === 0 || (!backwards && from === 'end') || (backwards && from === 'start')) return [];
    if (!backwards) {
      const fromPosition = from === 'start' ? START : { commit: from as bigint, prepare: from as bigint };
      return readAllRaw('read "$all"', { direction: FORWARDS, fromPosition, maxCount: limit }, filter);
    }
    if (from === 'end') return readAllRaw('read "$all"', { direction: BACKWARDS, fromPosition: END, maxCount: limit }, filter);
    // KurrentDB reads backwards strictly before a position; the port includes the event at it.
    const position = from as bigint;
    const [atPosition] = await readAllRaw('read "$all"', { direction: FORWARDS, fromPosition: { commit: position, prepare: position }, maxCount: 1 }, filter);
    const included = atPosition?.position === position ? [atPosition] : [];
    const remaining = limit - included.length;
    if (remaining === 0) return included;
    const before = await readAllRaw('read "$all"', { direction: BACKWARDS, fromPosition: { commit: position, prepare: position }, maxCount: remaining }, filter);
    return [...included, ...before];
  }

  function subscribeToAll(subscribeOptions: SubscribeToAllOptions = {}): Observable<RecordedEvent> {
    if (closing.signal.aborted) return throwError(() => new EventStoreError('STORE_CLOSED', `The KurrentDB store at ${where} is closed`));
    const filter = subscribeOptions.filter;
    if (filter?.streamPrefixes?.length === 0) return untilClosed();
    const keep = keepFor(filter);
    return resilientSubscription<bigint>({
      name: '$all',
      start: subscribeOptions.afterPosition,
      open: (after) =>
        client.subscribeToAll({
          fromPosition: after === undefined ? START : { commit: after, prepare: after },
          filter: clientFilter(filter),
        }) as ClientSubscription,
      cursorOf: (event) => event.position,
      isAfter: (event, cursor) => event.position > cursor && (keep === undefined || keep(event)),
      translate: (error) => translateError(error, { operation: 'subscribe to "$all"', where }),
      closed: closing.signal,
      logger,
    });
  }

  function subscribeToStream(stream: string, subscribeOptions: SubscribeToStreamOptions = {}): Observable<RecordedEvent> {
    if (closing.signal.aborted) return throwError(() => new EventStoreError('STORE_CLOSED', `The KurrentDB store at ${where} is closed`));
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
    append,
    readStream,
    readAll,
    subscribeToAll,
    subscribeToStream,
    async headPosition() {
      const [newest] = await readAllRaw('read the head of "$all"', { direction: BACKWARDS, fromPosition: END, maxCount: 1 });
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

function streamStateOf(expected: ExpectedRevision): AppendStreamState {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

function assertExpectedRevision(expected: unknown): asserts expected is ExpectedRevision {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return;
  throw new EventStoreError('INVALID_EVENT_DATA', `Expected revision ${String(expected)} is not 'any', 'no_stream', 'stream_exists' or a revision >= 0`);
}

/** The server-side filter: the given stream prefixes, or else every non-system stream. */
const clientFilter = (filter: StreamFilter | undefined) =>
  filter?.streamPrefixes === undefined ? USER_STREAMS : streamNameFilter({ prefixes: filter.streamPrefixes });

/** The same filter checked again on arrival, so a server that ignored it cannot leak events through. */
const keepFor = (filter: StreamFilter | undefined) => {
  const prefixes = filter?.streamPrefixes;
  return prefixes === undefined ? undefined : (event: RecordedEvent) => prefixes.some((prefix) => event.stream.startsWith(prefix));
};
