import type { Logger } from 'winston';
import { openEventStore, type EventStore } from '../eventstore/index.js';
import { openProjectionDatabase, projectionDatabasePathFor, type ProjectionDatabase } from './projectionDatabase.js';
import { createProjectionQueries, type ProjectionQueries } from './projectionQueries.js';
import { createProjectionRunner, type ReadModelRunner } from './projectionRunner.js';
import type { IsRegistered } from './statusQueries.js';

export interface OpenProjectionsOptions {
  storeUrl: string;
  /**
   * The read models' SQLite file; defaults to one beside the store (see `projectionDatabasePathFor`).
   * Unused for a `postgres://` store, whose read models are tables of its own schema, shared by
   * every node (callers warn about it: see `ignoredProjectionsPath`).
   */
  projectionsPath?: string;
  isRegistered?: IsRegistered;
  logger?: Logger;
  /** An already open store to use instead of opening `storeUrl`; it is not closed by `close`. */
  store?: EventStore;
}

export interface OpenedProjections {
  store: EventStore;
  /** The SQLite file's connection; absent when the read models are in PostgreSQL. */
  db?: ProjectionDatabase;
  runner: ReadModelRunner;
  queries: ProjectionQueries;
  /** The SQLite file, or the PostgreSQL database and schema (password masked). */
  path: string;
  close(): Promise<void>;
}

export const isPostgresUrl = (storeUrl: string): boolean => /^postgres(ql)?:/i.test(storeUrl);

/**
 * The warning for a read-model file set beside a `postgres://` store, or undefined. Ignored rather
 * than refused: one configuration (ECL_PROJECTIONS, ecl.config.json) may serve SQLite and
 * PostgreSQL nodes alike, and no file could hold what every node must share.
 */
export const ignoredProjectionsPath = (storeUrl: string, projectionsPath: string | undefined): string | undefined =>
  isPostgresUrl(storeUrl) && projectionsPath !== undefined && projectionsPath !== ''
    ? `projections setting ${projectionsPath} ignored: a postgres:// store keeps its read models in its own schema, shared by every node`
    : undefined;

/**
 * Opens a store's read models with their runner and queries: what the CLI and the API start from.
 * A `postgres://` store keeps them in its own database (every node shares them); any other store
 * in a SQLite file, one per node (beside a SQLite store, or under `./.ecl/`).
 */
export async function openProjections(options: OpenProjectionsOptions): Promise<OpenedProjections> {
  const store = options.store ?? (await openEventStore(options.storeUrl, options.logger === undefined ? {} : { logger: options.logger }));
  try {
    return isPostgresUrl(options.storeUrl) ? await openInPostgres(store, options) : openInSqlite(store, options);
  } catch (error) {
    if (options.store === undefined) await store.close();
    throw error;
  }
}

async function openInPostgres(store: EventStore, options: OpenProjectionsOptions): Promise<OpenedProjections> {
  // Loaded only for a postgres:// store, as the store's adapter is.
  const { openPostgresProjections } = await import('./postgres/index.js');
  const opened = await openPostgresProjections({
    storeUrl: options.storeUrl,
    store,
    ...(options.isRegistered === undefined ? {} : { isRegistered: options.isRegistered }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  return {
    ...opened,
    store,
    async close() {
      await opened.close();
      if (options.store === undefined) await store.close();
    },
  };
}

function openInSqlite(store: EventStore, options: OpenProjectionsOptions): OpenedProjections {
  const path = projectionDatabasePathFor(options.storeUrl, options.projectionsPath);
  const db = openProjectionDatabase(path);
  const runner = createProjectionRunner({ store, db, ...(options.logger === undefined ? {} : { logger: options.logger }) });
  const queries = createProjectionQueries(db, options.isRegistered === undefined ? {} : { isRegistered: options.isRegistered });
  return {
    store,
    db,
    runner,
    queries,
    path,
    async close() {
      await runner.stop();
      db.close();
      if (options.store === undefined) await store.close();
    },
  };
}
