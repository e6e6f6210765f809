import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Observable } from 'rxjs';
import type { Logger } from 'winston';
import { EventStoreError } from './errors.js';
import { createMemoryEventStore } from './memoryEventStore.js';
import type { EventStore } from './types.js';

/** Where `ecl` keeps its log when no `--store` is given: an embedded SQLite file under the working folder. */
export const DEFAULT_STORE_URL = 'sqlite:./.ecl/ecl.db';

/** Options of {@link openEventStore}; each says which adapters read it. */
export interface OpenEventStoreOptions {
  /** For the adapters' own warnings (sqlite, kurrentdb). */
  logger?: Logger;
  /** Largest append accepted, in bytes of type + data + metadata (default 1 MiB, as KurrentDB). */
  maxAppendBytes?: number;
  /** How often a store looks for commits made by other processes (sqlite; default 50 ms). */
  pollIntervalMs?: number;
  /**
   * Another thread's word that it committed to the same file (sqlite): subscribers look at once
   * instead of at the next poll. A hint only; polling still catches every commit.
   */
  commitsElsewhere?: Observable<void>;
  /** SQLite durability: FULL (default) fsyncs every commit; NORMAL may lose the last commits on power loss. */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a SQLite write waits for another process's lock before failing as STORE_UNAVAILABLE (default 5000 ms). */
  busyTimeoutMs?: number;
}

interface KurrentDbModule {
  openKurrentDbEventStore: (url: string, options?: OpenEventStoreOptions) => Promise<EventStore>;
}

interface PostgresModule {
  openPostgresEventStore: (url: string, options?: OpenEventStoreOptions) => Promise<EventStore>;
}

/**
 * Opens the store a URL names: `memory:`, `sqlite:<path>` (relative to the working folder or
 * absolute; its folder is created), `postgres://user:password@host:5432/db` or `postgresql://…`
 * (`?schema=name`, default `ecl`; tables are created or upgraded on open), `kurrentdb://…` or
 * `esdb://…` (also `+discover`). The PostgreSQL and KurrentDB adapters are loaded only then.
 * Default {@link DEFAULT_STORE_URL}. Close it with `store.close()`.
 *
 * Throws an `EventStoreError`: `INVALID_STORE_URL` (`isInvalidStoreUrl`) for an unknown scheme, a
 * missing path, a file that cannot be opened or was written by a newer ECL, a bad connection
 * string, wrong PostgreSQL credentials, a missing database or a role that may not create the
 * schema; `STORE_UNAVAILABLE` (`isStoreUnavailable`) when PostgreSQL or KurrentDB cannot be
 * reached. Credentials in the URL never reach a message.
 */
export async function openEventStore(url: string = DEFAULT_STORE_URL, options: OpenEventStoreOptions = {}): Promise<EventStore> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'memory':
      if (url.length > 'memory:'.length) throw invalidUrl(url, 'memory: takes no path');
      return createMemoryEventStore({ maxAppendBytes: options.maxAppendBytes });
    case 'sqlite':
      return openSqlite(url, options);
    case 'kurrentdb':
    case 'esdb':
    case 'esdb+discover':
    case 'kurrentdb+discover':
      return (await loadKurrentDb(url)).openKurrentDbEventStore(url, options);
    case 'postgres':
    case 'postgresql':
      return (await loadPostgres(url)).openPostgresEventStore(url, options);
    default:
      throw invalidUrl(url, 'use memory:, sqlite:<path>, postgres://host:port/database, kurrentdb://host:port or esdb://host:port');
  }
}

/** `sqlite:<path>`, `sqlite://<path>` and `sqlite:///abs/path` all name a file path. */
export function sqlitePathOf(url: string): string {
  let path = url.slice('sqlite:'.length);
  if (path.startsWith('//')) path = path.slice(2);
  if (path.length === 0) throw invalidUrl(url, 'sqlite: needs a file path, e.g. sqlite:./.ecl/ecl.db');
  return resolve(path);
}

async function openSqlite(url: string, options: OpenEventStoreOptions): Promise<EventStore> {
  const path = sqlitePathOf(url);
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw invalidUrl(url, `cannot create folder ${dirname(path)}`, error);
  }
  const { openSqliteEventStore } = await import('./sqlite/openSqliteEventStore.js');
  return openSqliteEventStore(path, { ...options, url });
}

// The KurrentDB client is heavy; it is loaded only when a kurrentdb:// or esdb:// URL is opened.
async function loadKurrentDb(url: string): Promise<KurrentDbModule> {
  const specifier: string = './kurrentdb/index.js';
  try {
    return (await import(specifier)) as KurrentDbModule;
  } catch (error) {
    throw invalidUrl(url, 'the KurrentDB adapter could not be loaded', error);
  }
}

// The PostgreSQL adapter (and pg) is loaded only when a postgres:// URL is opened.
async function loadPostgres(url: string): Promise<PostgresModule> {
  const specifier: string = './postgres/index.js';
  try {
    return (await import(specifier)) as PostgresModule;
  } catch (error) {
    throw invalidUrl(url, 'the PostgreSQL adapter could not be loaded', error);
  }
}

// Credentials in a URL's user-info never reach an error message or a log.
const redact = (url: string): string => url.replace(/\/\/[^/@]*@/, '//***@');

const invalidUrl = (url: string, reason: string, cause?: unknown): EventStoreError =>
  new EventStoreError('INVALID_STORE_URL', `Cannot open event store "${redact(url)}": ${reason}`, { cause });
