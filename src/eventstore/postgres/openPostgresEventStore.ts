import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { ExponentialBackoff, handleWhen, retry, type IPolicy } from 'cockatiel';
import pg from 'pg';
import { defer, Subject, throwError, type Observable } from 'rxjs';
import winston from 'winston';
import { assertExpectedRevision } from '../decideAppend.js';
import { EventStoreError, isStoreUnavailable } from '../errors.js';
import type { OpenEventStoreOptions } from '../openEventStore.js';
import { DEFAULT_MAX_APPEND_BYTES, prepareAppend } from '../prepareAppend.js';
import { subscribeFromReads } from '../subscribeFromReads.js';
import type { EventStore, RecordedEvent } from '../types.js';
import { createCommitListener } from './commitListener.js';
import { createGroupCommitWriter } from './groupCommitWriter.js';
import { describePgError, isConfigurationError, toStoreError } from './pgErrors.js';
import { createPgReader } from './pgReader.js';
import { createPostgresLeases } from './postgresLeaseTable.js';
import { migrate } from './schema.js';
import { storeSql } from './storeSql.js';
import { parsePostgresUrl } from './storeUrl.js';

export interface PostgresEventStoreOptions extends OpenEventStoreOptions {
  /** Most connections the store's pool opens (default 10); the listening connection is one more. */
  poolSize?: number;
  /** How long getting a connection may take: to connect, or to wait for a free one (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Server-side limit on one statement, waiting for the append lock included (default 30000 ms). */
  statementTimeoutMs?: number;
}

const isRetryable = (error: unknown): boolean => isStoreUnavailable(error) && (error as EventStoreError).retryable;
const backoff = (maxDelay: number) => new ExponentialBackoff({ initialDelay: 50, maxDelay });

/**
 * Opens the event store in a PostgreSQL database (`postgres://user:password@host:5432/db`, or
 * `postgresql://`; `?schema=name` picks the schema, default `ecl`), creating or upgrading its
 * tables first. Fails with INVALID_STORE_URL when the URL, the credentials, the database or the
 * role's privileges are wrong, and with a retryable STORE_UNAVAILABLE when the server cannot be
 * reached; no message shows the password.
 */
export async function openPostgresEventStore(url: string, options: PostgresEventStoreOptions = {}): Promise<EventStore> {
  const { connectionString, schema, redacted } = parsePostgresUrl(url);
  const logger = options.logger ?? winston.createLogger({ silent: true });
  const maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
  const clientConfig: pg.ClientConfig = {
    connectionString,
    application_name: 'ecl',
    connectionTimeoutMillis: connectTimeoutMs,
    // TCP keep-alive probes after 10 s idle let a silently dead connection (the listener's above
    // all) fail instead of waiting forever; how soon depends on the OS's probe settings.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    statement_timeout: statementTimeoutMs,
    // A writer that stalls inside its transaction would hold the append lock; the server ends it.
    idle_in_transaction_session_timeout: statementTimeoutMs,
  };
  await prepareSchema(clientConfig, schema, redacted);
  const pool = new pg.Pool({ ...clientConfig, max: options.poolSize ?? 10 });
  pool.on('error', (error) => logger.warn('idle PostgreSQL connection failed', { store: redacted, reason: describePgError(error) }));

  const origin = randomUUID();
  const sql = storeSql(schema, origin);
  const listener = createCommitListener({ client: clientConfig, listen: sql.listen, origin, where: redacted, logger });
  const writerRetry = retry(handleWhen(isRetryable), { maxAttempts: 3, backoff: backoff(1_000) });
  writerRetry.onRetry((reason) =>
    logger.warn('event store group commit failed; trying it again', {
      store: redacted,
      reason: 'error' in reason ? reason.error.message : 'unexpected result',
    }),
  );
  const writer = createGroupCommitWriter({
    pool,
    sql,
    where: redacted,
    retry: writerRetry,
    onCommit: (streams) => listener.committed(streams),
    onGroupFailed: (error, appends) =>
      logger.warn('event store group commit failed', { store: redacted, appends, code: error.code, retryable: error.retryable, error: error.message }),
  });
  const reader = createPgReader(pool, sql);
  const closing = new AbortController();
  setMaxListeners(0, closing.signal);
  const closed$ = new Subject<void>();
  logger.debug('event store opened', { store: redacted });

  const closedError = () => new EventStoreError('STORE_CLOSED', `The event store "${redacted}" is closed`);
  // Reads change nothing, so a lost connection is tried again: a little for a direct read, and
  // for as long as the store is open for a subscription, which then resumes after its cursor.
  const directReads = retry(handleWhen(isRetryable), { maxAttempts: 2, backoff: backoff(500) });
  const subscriptionReads = retry(handleWhen(isRetryable), { maxAttempts: Number.POSITIVE_INFINITY, backoff: backoff(2_000) });
  subscriptionReads.onRetry((reason) =>
    logger.warn('event store subscription read failed; retrying', { store: redacted, reason: 'error' in reason ? reason.error.message : 'unexpected result' }),
  );
  const read = async <T>(policy: IPolicy, doing: string, run: () => Promise<T>): Promise<T> => {
    if (closing.signal.aborted) throw closedError();
    try {
      return await policy.execute(async () => {
        try {
          return await run();
        } catch (error) {
          throw closing.signal.aborted ? closedError() : toStoreError(error, doing, redacted);
        }
      }, closing.signal);
    } catch (error) {
      // Only the close cancels a retry.
      if (closing.signal.aborted) throw closedError();
      throw error;
    }
  };
  // Heartbeats are read-modify-write transactions: retrying one whose outcome a lost connection hid is safe (postgresLeaseTable.ts).
  const leases = createPostgresLeases(pool, schema, (doing, work) => read(directReads, doing, work));
  const subscribe = (start: () => Observable<RecordedEvent>): Observable<RecordedEvent> =>
    defer(() => (closing.signal.aborted ? throwError(closedError) : start()));

  return {
    description: redacted,
    leases,

    async append(stream, events, append = {}) {
      if (closing.signal.aborted) throw closedError();
      const expected = append.expectedRevision ?? 'any';
      assertExpectedRevision(expected);
      const prepared = prepareAppend(stream, events, maxAppendBytes);
      // PostgreSQL text cannot hold U+0000; data and metadata are JSON, where it is escaped.
      if (prepared.some((event) => event.type.includes('\u0000'))) throw new EventStoreError('INVALID_EVENT_DATA', 'An event type contains U+0000');
      return writer.append(stream, prepared, expected, append.fence);
    },

    readStream: (stream, options = {}) => read(directReads, 'reading a stream', () => reader.readStream(stream, options)),
    readAll: (options = {}) => read(directReads, 'reading the log', () => reader.readAll(options)),

    subscribeToAll: (subscribeOptions = {}) =>
      subscribe(() =>
        subscribeFromReads<bigint>({
          start: subscribeOptions.afterPosition ?? 0n,
          readPage: (after, limit) =>
            read(subscriptionReads, 'following the log', () => reader.readAll({ fromPosition: after + 1n, limit, filter: subscribeOptions.filter })),
          advance: (event) => event.position,
          wakeUps: listener.wakeUps,
          closed: closed$,
        }),
      ),

    subscribeToStream: (stream, subscribeOptions = {}) =>
      subscribe(() =>
        subscribeFromReads<number>({
          start: subscribeOptions.afterRevision ?? -1,
          readPage: (after, limit) => read(subscriptionReads, 'following a stream', () => reader.readStream(stream, { from: after + 1, limit })),
          advance: (event) => event.revision,
          wakeUps: listener.wakeUps,
          concerns: (wakeUp) => wakeUp.streams === undefined || wakeUp.streams.has(stream),
          closed: closed$,
        }),
      ),

    headPosition: () => read(directReads, 'reading the head position', () => reader.headPosition()),

    async close() {
      if (closing.signal.aborted) return;
      closing.abort();
      // Appends already accepted are written (or fail) before the pool is released.
      await writer.drain();
      closed$.next();
      closed$.complete();
      await listener.close();
      await pool.end().catch(() => undefined);
      logger.debug('event store closed', { store: redacted });
    },
  };
}

/**
 * Connects once, outside the pool, and migrates: this proves the URL, the credentials and the
 * privileges before the store is handed out. The connection is always ended here, because `pg`
 * leaves the socket of a connection that failed on the client side (no password for SCRAM) open,
 * which would keep the process alive until the server's authentication timeout.
 */
async function prepareSchema(config: pg.ClientConfig, schema: string, redacted: string): Promise<void> {
  const client = new pg.Client(config);
  // A lost connection is reported by the failing call; an unheard 'error' event would crash.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await migrate(client, schema);
  } catch (error) {
    throw openingError(error, redacted, schema);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function openingError(error: unknown, redacted: string, schema: string): EventStoreError {
  const prefix = `Cannot open event store "${redacted}"`;
  if (error instanceof EventStoreError) {
    return error.code === 'INVALID_STORE_URL' ? new EventStoreError('INVALID_STORE_URL', `${prefix}: ${error.message}`, { cause: error }) : error;
  }
  if (isConfigurationError(error)) {
    const code = (error as { code?: unknown }).code;
    const hint =
      code === '42501'
        ? `; the role may not create or use schema "${schema}": create it beforehand (CREATE SCHEMA ${schema} AUTHORIZATION <role>) or grant the role CREATE on the database`
        : code === '3D000'
          ? '; create the database first'
          : /client password must be/i.test((error as Error).message)
            ? '; the server asks for a password and the URL gives none (postgres://user:password@host/db)'
            : '';
    return new EventStoreError('INVALID_STORE_URL', `${prefix}: ${describePgError(error)}${hint}`, { cause: error });
  }
  const failure = toStoreError(error, 'opening', redacted);
  const reason = failure.retryable ? `PostgreSQL is unreachable: ${describePgError(error)}` : describePgError(error);
  return new EventStoreError('STORE_UNAVAILABLE', `${prefix}: ${reason}`, { cause: error, retryable: failure.retryable });
}
