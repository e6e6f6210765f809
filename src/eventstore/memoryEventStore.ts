import { defer, Subject, throwError, type Observable } from 'rxjs';
import { assertExpectedRevision, decideAppend } from './decideAppend.js';
import { EventStoreError, leaseLostError } from './errors.js';
import { fenceHolds, holderOf } from './leaseRules.js';
import { createMemoryLeases } from './memoryLeaseTable.js';
import { DEFAULT_MAX_APPEND_BYTES, prepareAppend } from './prepareAppend.js';
import { selectAll, selectStream } from './readWindow.js';
import { subscribeFromReads, type WakeUp } from './subscribeFromReads.js';
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
} from './types.js';

/** Options of {@link createMemoryEventStore}. */
export interface MemoryEventStoreOptions {
  /** Largest append accepted, in bytes of type + data + metadata (default 1 MiB, as the other stores). */
  maxAppendBytes?: number;
  /** The clock stamping `created`; tests may pass a fixed one. */
  now?: () => Date;
}

/** Events are kept serialized, so a caller mutating what it appended or read cannot alter the log. */
interface StoredEvent {
  id: string;
  stream: string;
  type: string;
  revision: number;
  position: bigint;
  data: string;
  metadata: string;
  created: Date;
}

const toRecorded = (event: StoredEvent): RecordedEvent => ({
  id: event.id,
  stream: event.stream,
  type: event.type,
  revision: event.revision,
  position: event.position,
  data: JSON.parse(event.data),
  metadata: JSON.parse(event.metadata),
  created: new Date(event.created.getTime()),
});

interface MemoryStream {
  events: StoredEvent[];
  /** Revision of the latest event with each id: idempotency is checked within a stream only. */
  revisionById: Map<string, number>;
}

/**
 * A complete in-process store with the same semantics as the durable ones (it passes the same
 * contract suite); positions are 1, 2, 3… Nothing survives the process: for tests, and for
 * `memory:` URLs.
 */
export function createMemoryEventStore(options: MemoryEventStoreOptions = {}): EventStore {
  const maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
  const now = options.now ?? (() => new Date());
  const log: StoredEvent[] = [];
  const streams = new Map<string, MemoryStream>();
  const wakeUps = new Subject<WakeUp>();
  const closed$ = new Subject<void>();
  let closed = false;
  const leases = createMemoryLeases();

  const assertOpen = (): void => {
    if (closed) throw new EventStoreError('STORE_CLOSED', 'The memory event store is closed');
  };

  const readStream = async (stream: string, read: ReadStreamOptions = {}): Promise<RecordedEvent[]> => {
    assertOpen();
    return selectStream(streams.get(stream)?.events ?? [], read).map(toRecorded);
  };

  const readAll = async (read: ReadAllOptions = {}): Promise<RecordedEvent[]> => {
    assertOpen();
    return selectAll(log, read).map(toRecorded);
  };

  return {
    description: 'memory',
    leases: leases.table,

    async append(stream: string, events: readonly EventToAppend[], append: AppendOptions = {}): Promise<AppendResult> {
      assertOpen();
      const expected = append.expectedRevision ?? 'any';
      assertExpectedRevision(expected);
      const prepared = prepareAppend(stream, events, maxAppendBytes);
      const fence = append.fence;
      if (fence !== undefined && !fenceHolds(leases.leaseOf(fence.partition), fence))
        throw leaseLostError(stream, fence, holderOf(leases.leaseOf(fence.partition)));
      const existing = streams.get(stream) ?? { events: [], revisionById: new Map<string, number>() };
      const decision = decideAppend(stream, prepared, expected, {
        head: existing.events.length - 1,
        revisionOf: (id) => existing.revisionById.get(id),
        eventsFrom: (revision, count) => existing.events.slice(revision, revision + count),
      });
      if (decision.kind === 'idempotent') return decision.result;
      streams.set(stream, existing);
      const created = now();
      const stored = prepared.map((event, index): StoredEvent => ({
        ...event,
        stream,
        revision: decision.firstRevision + index,
        position: BigInt(log.length + index + 1),
        created,
      }));
      for (const event of stored) {
        log.push(event);
        existing.events.push(event);
        existing.revisionById.set(event.id, event.revision);
      }
      const last = stored[stored.length - 1]!;
      wakeUps.next({ streams: new Set([stream]) });
      return { nextExpectedRevision: last.revision, position: last.position };
    },

    readStream,
    readAll,

    subscribeToAll(subscribe: SubscribeToAllOptions = {}): Observable<RecordedEvent> {
      return defer(() => {
        if (closed) return throwError(() => new EventStoreError('STORE_CLOSED', 'The memory event store is closed'));
        return subscribeFromReads<bigint>({
          start: subscribe.afterPosition ?? 0n,
          readPage: (after, limit) => readAll({ fromPosition: after + 1n, limit, filter: subscribe.filter }),
          advance: (event) => event.position,
          wakeUps,
          closed: closed$,
        });
      });
    },

    subscribeToStream(stream: string, subscribe: SubscribeToStreamOptions = {}): Observable<RecordedEvent> {
      return defer(() => {
        if (closed) return throwError(() => new EventStoreError('STORE_CLOSED', 'The memory event store is closed'));
        return subscribeFromReads<number>({
          start: subscribe.afterRevision ?? -1,
          readPage: (after, limit) => readStream(stream, { from: after + 1, limit }),
          advance: (event) => event.revision,
          wakeUps,
          concerns: (wakeUp) => wakeUp.streams === undefined || wakeUp.streams.has(stream),
          closed: closed$,
        });
      });
    },

    async headPosition(): Promise<bigint | null> {
      assertOpen();
      return log.length === 0 ? null : log[log.length - 1]!.position;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      closed$.next();
      closed$.complete();
      wakeUps.complete();
    },
  };
}
