import { defer, Subject, throwError, type Observable } from 'rxjs';
import { assertExpectedRevision, decideAppend, duplicateIdError } from './decideAppend.js';
import { EventStoreError } from './errors.js';
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

export interface MemoryEventStoreOptions {
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

/** A complete in-process store with the same semantics as the durable ones; positions are 1, 2, 3… */
export function createMemoryEventStore(options: MemoryEventStoreOptions = {}): EventStore {
  const maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
  const now = options.now ?? (() => new Date());
  const log: StoredEvent[] = [];
  const streams = new Map<string, StoredEvent[]>();
  const byId = new Map<string, StoredEvent>();
  const wakeUps = new Subject<WakeUp>();
  const closed$ = new Subject<void>();
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new EventStoreError('STORE_CLOSED', 'The memory event store is closed');
  };

  const readStream = async (stream: string, read: ReadStreamOptions = {}): Promise<RecordedEvent[]> => {
    assertOpen();
    return selectStream(streams.get(stream) ?? [], read).map(toRecorded);
  };

  const readAll = async (read: ReadAllOptions = {}): Promise<RecordedEvent[]> => {
    assertOpen();
    return selectAll(log, read).map(toRecorded);
  };

  return {
    description: 'memory',

    async append(stream: string, events: readonly EventToAppend[], append: AppendOptions = {}): Promise<AppendResult> {
      assertOpen();
      const expected = append.expectedRevision ?? 'any';
      assertExpectedRevision(expected);
      const prepared = prepareAppend(stream, events, maxAppendBytes);
      let existing = streams.get(stream);
      if (existing === undefined) {
        existing = [];
        streams.set(stream, existing);
      }
      const decision = decideAppend({ stream, events: prepared, expected, head: existing.length - 1, locate: (id) => byId.get(id) });
      if (decision.kind === 'idempotent') return decision.result;
      for (const event of prepared) {
        const taken = byId.get(event.id);
        if (taken !== undefined) throw duplicateIdError(event.id, taken);
      }
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
        existing.push(event);
        byId.set(event.id, event);
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
