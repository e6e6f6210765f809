import Database from 'better-sqlite3';
import { defer, Subject, throwError, type Observable } from 'rxjs';
import winston from 'winston';
import { assertExpectedRevision } from '../decideAppend.js';
import { EventStoreError } from '../errors.js';
import type { OpenEventStoreOptions } from '../openEventStore.js';
import { DEFAULT_MAX_APPEND_BYTES, prepareAppend } from '../prepareAppend.js';
import { subscribeFromReads } from '../subscribeFromReads.js';
import type { EventStore, RecordedEvent } from '../types.js';
import { createCommitNotifier } from './commitNotifier.js';
import { createGroupCommitWriter } from './groupCommitWriter.js';
import { prepareDatabase } from './schema.js';
import { toStoreError } from './sqliteErrors.js';
import { createStreamIds } from './streamIds.js';
import { createSqliteReader } from './sqliteReader.js';
import { createSqliteLeases } from './sqliteLeaseTable.js';
import { openWalSync } from './walSync.js';

export interface SqliteEventStoreOptions extends OpenEventStoreOptions {
  /** The URL it was opened with, for messages and `description`. */
  url?: string;
}

const DEFAULT_POLL_INTERVAL_MS = 50;
const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/**
 * The embedded default store: one SQLite file in WAL mode, durable unless told otherwise: every
 * commit is on disk before its callers are answered (the WAL is fsynced off the event loop, see
 * walSync.ts; synchronous=FULL where that file cannot be opened).
 */
export async function openSqliteEventStore(path: string, options: SqliteEventStoreOptions = {}): Promise<EventStore> {
  const url = options.url ?? `sqlite:${path}`;
  const logger = options.logger ?? winston.createLogger({ silent: true });
  const maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (error) {
    throw new EventStoreError('INVALID_STORE_URL', `Cannot open event store "${url}": ${String((error as Error).message ?? error)}`, { cause: error });
  }
  try {
    prepareDatabase(db, { synchronous: options.synchronous ?? 'FULL', busyTimeoutMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
  } catch (error) {
    db.close();
    const reason = (error as { code?: unknown }).code === 'INVALID_STORE_URL' ? (error as Error).message : toStoreError(error, 'opening').message;
    throw new EventStoreError('INVALID_STORE_URL', `Cannot open event store "${url}": ${reason}`, { cause: error });
  }

  const durable = (options.synchronous ?? 'FULL') === 'FULL';
  const walSync = durable ? openWalSync(`${path}-wal`) : undefined;
  if (walSync !== undefined) db.pragma('synchronous = NORMAL');

  const notifier = createCommitNotifier(
    db,
    options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    (error) => logger.warn('event store poll failed', { store: url, error: toStoreError(error, 'polling').message }),
    options.commitsElsewhere,
  );
  const streamIds = createStreamIds(db);
  const writer = createGroupCommitWriter(db, streamIds, {
    // Called only by appends, once `leases` below exists.
    leaseOf: (partition) => leases.leaseOf(partition),
    onCommit: (streams) => notifier.committed(streams),
    walSync,
    onGroupFailed: (error, appends) =>
      logger.warn('event store group commit failed', { store: url, appends, code: error.code, retryable: error.retryable, error: error.message }),
  });
  const reader = createSqliteReader(db, streamIds);
  const closed$ = new Subject<void>();
  let closed = false;
  logger.debug('event store opened', { store: url });

  const closedError = () => new EventStoreError('STORE_CLOSED', `The event store "${url}" is closed`);
  const guard = <T>(doing: string, run: () => T): Promise<T> => {
    if (closed) return Promise.reject(closedError());
    try {
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(toStoreError(error, doing));
    }
  };
  const readStream: EventStore['readStream'] = (stream, read = {}) => guard('reading a stream', () => reader.readStream(stream, read));
  const readAll: EventStore['readAll'] = (read = {}) => guard('reading the log', () => reader.readAll(read));
  const leases = createSqliteLeases(db, guard);
  const subscribe = (start: () => Observable<RecordedEvent>): Observable<RecordedEvent> => defer(() => (closed ? throwError(closedError) : start()));

  return {
    description: url,
    leases: leases.table,

    async append(stream, events, append = {}) {
      if (closed) throw closedError();
      const expected = append.expectedRevision ?? 'any';
      assertExpectedRevision(expected);
      return writer.append(stream, prepareAppend(stream, events, maxAppendBytes), expected, append.fence);
    },

    readStream,
    readAll,

    subscribeToAll: (subscribeOptions = {}) =>
      subscribe(() =>
        subscribeFromReads<bigint>({
          start: subscribeOptions.afterPosition ?? 0n,
          readPage: (after, limit) => readAll({ fromPosition: after + 1n, limit, filter: subscribeOptions.filter }),
          advance: (event) => event.position,
          wakeUps: notifier.wakeUps,
          closed: closed$,
        }),
      ),

    subscribeToStream: (stream, subscribeOptions = {}) =>
      subscribe(() =>
        subscribeFromReads<number>({
          start: subscribeOptions.afterRevision ?? -1,
          readPage: (after, limit) => readStream(stream, { from: after + 1, limit }),
          advance: (event) => event.revision,
          wakeUps: notifier.wakeUps,
          concerns: (wakeUp) => wakeUp.streams === undefined || wakeUp.streams.has(stream),
          closed: closed$,
        }),
      ),

    headPosition: () => guard('reading the head position', () => reader.headPosition()),

    async close() {
      if (closed) return;
      closed = true;
      // Appends already accepted are written before the file is released.
      writer.drain();
      closed$.next();
      closed$.complete();
      notifier.close();
      await walSync?.close();
      db.close();
      logger.debug('event store closed', { store: url });
    },
  };
}
