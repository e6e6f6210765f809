import type { Logger } from 'winston';
import { openEventStore, type EventStore } from '../eventstore/index.js';
import { openProjectionDatabase, projectionDatabasePathFor, type ProjectionDatabase } from './projectionDatabase.js';
import { createProjectionQueries, type ProjectionQueries } from './projectionQueries.js';
import { createProjectionRunner, type ProjectionRunner } from './projectionRunner.js';
import type { IsRegistered } from './statusQueries.js';

export interface OpenProjectionsOptions {
  storeUrl: string;
  /** The read models' SQLite file; defaults to one beside the store (see `projectionDatabasePathFor`). */
  projectionsPath?: string;
  isRegistered?: IsRegistered;
  logger?: Logger;
  /** An already open store to use instead of opening `storeUrl`; it is not closed by `close`. */
  store?: EventStore;
}

export interface OpenedProjections {
  store: EventStore;
  db: ProjectionDatabase;
  runner: ProjectionRunner;
  queries: ProjectionQueries;
  path: string;
  close(): Promise<void>;
}

/** Opens a store's read models with their runner and queries: what the CLI and the API start from. */
export async function openProjections(options: OpenProjectionsOptions): Promise<OpenedProjections> {
  const store = options.store ?? (await openEventStore(options.storeUrl, options.logger === undefined ? {} : { logger: options.logger }));
  const path = projectionDatabasePathFor(options.storeUrl, options.projectionsPath);
  let db: ProjectionDatabase;
  try {
    db = openProjectionDatabase(path);
  } catch (error) {
    if (options.store === undefined) await store.close();
    throw error;
  }
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
