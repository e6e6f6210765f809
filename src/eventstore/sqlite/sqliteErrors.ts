import { EventStoreError } from '../errors.js';

const sqliteCode = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
};

/**
 * Translates whatever better-sqlite3 threw into the port's errors, so no vendor error leaves the
 * adapter. Lock contention with another process is retryable; a broken file is not.
 */
export function toStoreError(error: unknown, doing: string): EventStoreError {
  if (typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'EventStoreError') return error as EventStoreError;
  const code = sqliteCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === undefined) {
    if (/database connection is not open/i.test(message)) return new EventStoreError('STORE_CLOSED', 'The SQLite event store is closed', { cause: error });
    return new EventStoreError('STORE_UNAVAILABLE', `SQLite event store failed while ${doing}: ${message}`, { cause: error });
  }
  const retryable = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|PROTOCOL|INTERRUPT)/.test(code);
  return new EventStoreError('STORE_UNAVAILABLE', `SQLite event store failed while ${doing} (${code}): ${message}`, { cause: error, retryable });
}
