import pg from 'pg';
import winston from 'winston';
import { EventStoreError, type EventStore } from '../../eventstore/index.js';
import {
  createNotificationListener,
  describePgError,
  isConfigurationError,
  migrate,
  parsePostgresUrl,
  quoteIdentifier,
  toStoreError,
} from '../../eventstore/postgres/index.js';
import { createProjectionQueries, type ProjectionQueries } from '../projectionQueries.js';
import type { IsRegistered } from '../statusQueries.js';
import type { Logger } from 'winston';
import { pgReadModelSql, readModelTypes } from './pgReadModelSql.js';
import { channelOf, createPostgresProjectionRunner, type PostgresProjectionRunner } from './postgresProjectionRunner.js';
import { READ_MODEL_MIGRATIONS } from './readModelTables.js';

export interface OpenPostgresProjectionsOptions {
  /** The store's `postgres://` URL: the read models live in its database and schema. */
  storeUrl: string;
  /** The log, opened on the same URL. */
  store: EventStore;
  isRegistered?: IsRegistered;
  logger?: Logger;
  /** Connections for queries and batches (default 4); the listening connection is one more, once following. */
  poolSize?: number;
  batchSize?: number;
}

export interface PostgresProjections {
  runner: PostgresProjectionRunner;
  queries: ProjectionQueries;
  /** Where they are, password masked (the banner's `Projections:` line). */
  path: string;
  close(): Promise<void>;
}

/**
 * Opens the read models kept in the store's own PostgreSQL schema: creates or upgrades their
 * tables (a versioned migration under the schema's advisory lock, as the store's own), and gives
 * the runner and the queries. Every node on the database reads and writes the same tables.
 */
export async function openPostgresProjections(options: OpenPostgresProjectionsOptions): Promise<PostgresProjections> {
  const { connectionString, schema, redacted } = parsePostgresUrl(options.storeUrl);
  const logger = options.logger ?? winston.createLogger({ silent: true });
  const clientConfig: pg.ClientConfig = {
    connectionString,
    application_name: 'ecl-read-models',
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
    statement_timeout: 30_000,
    // A node that stalls inside a batch would hold the checkpoint row; the server ends it.
    idle_in_transaction_session_timeout: 30_000,
  };
  await migrateReadModels(clientConfig, schema, redacted);
  // The queries name the tables unqualified: they are the same SQL on SQLite.
  const pool = new pg.Pool({ ...clientConfig, options: `-c search_path=${quoteIdentifier(schema)}`, types: readModelTypes, max: options.poolSize ?? 4 });
  pool.on('error', (error) => logger.warn('idle PostgreSQL read-model connection failed', { store: redacted, reason: describePgError(error) }));
  const listener = createNotificationListener({ client: clientConfig, listen: `LISTEN ${quoteIdentifier(channelOf(schema))}`, where: redacted, logger });
  try {
    const runner = await createPostgresProjectionRunner({
      pool,
      schema,
      store: options.store,
      notifications: listener.notifications,
      where: redacted,
      logger,
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    });
    const queries = createProjectionQueries(pgReadModelSql(pool, redacted), options.isRegistered === undefined ? {} : { isRegistered: options.isRegistered });
    return {
      runner,
      queries,
      path: /[?&]schema=/.test(options.storeUrl) ? redacted : `${redacted} (schema ${schema})`,
      async close() {
        await runner.stop();
        await listener.close();
        await pool.end().catch(() => undefined);
      },
    };
  } catch (error) {
    await listener.close();
    await pool.end().catch(() => undefined);
    throw error;
  }
}

async function migrateReadModels(config: pg.ClientConfig, schema: string, redacted: string): Promise<void> {
  const client = new pg.Client(config);
  client.on('error', () => undefined);
  try {
    await client.connect();
    await migrate(client, schema, READ_MODEL_MIGRATIONS);
  } catch (error) {
    if (error instanceof EventStoreError)
      throw new EventStoreError(error.code, `Cannot open the read models in "${redacted}": ${error.message}`, { cause: error });
    if (isConfigurationError(error))
      throw new EventStoreError(
        'INVALID_STORE_URL',
        `Cannot open the read models in "${redacted}": ${describePgError(error)}; the role needs CREATE on schema "${schema}" (or the tables made by an administrator)`,
        { cause: error },
      );
    throw toStoreError(error, 'creating the read-model tables', redacted);
  } finally {
    await client.end().catch(() => undefined);
  }
}
