import pg from 'pg';
import { expect } from 'vitest';
import { createMemoryEventStore } from '../../../src/eventstore/memoryEventStore.js';
import type { RecordedEvent } from '../../../src/eventstore/index.js';
import { quoteIdentifier } from '../../../src/eventstore/postgres/schema.js';
import {
  DEFAULT_READ_MODELS,
  createProjectionQueries,
  createProjectionRunner,
  decodeEvent,
  defaultUpcasterRegistry,
  openProjectionDatabase,
  type DecodedEvent,
  type IsRegistered,
  type ProjectionDatabase,
  type ProjectionQueries,
  type ReadModelRunner,
} from '../../../src/projections/index.js';
import { openPostgresProjections } from '../../../src/projections/postgres/index.js';
import { readModelTypes } from '../../../src/projections/postgres/pgReadModelSql.js';
import { READ_MODEL_TABLES } from '../../../src/projections/postgres/readModelTables.js';
import { writeReadModels } from '../../../src/projections/postgres/writeReadModels.js';
import type { TestPostgres } from '../../support/embeddedPostgres.js';
import { recordedFrom, type History } from './historyBuilder.js';

/** Every row of every read-model table, in a stable order: two databases compare equal iff they hold the same read models. */
export function dumpReadModels(db: ProjectionDatabase): Record<string, unknown[]> {
  const tables = db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'projection_%' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all();
  return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM ${name} ORDER BY 1, 2`).all()]));
}

/** The same for the read-model tables of a PostgreSQL schema (`url` names the schema with `?schema=`). */
export async function dumpPostgresReadModels(url: string): Promise<Record<string, unknown[]>> {
  return withSchema(url, async (client, s) => {
    const dump: Record<string, unknown[]> = {};
    for (const name of [...READ_MODEL_TABLES].sort()) dump[name] = (await client.query(`SELECT * FROM ${s}.${name} ORDER BY 1, 2`)).rows;
    return dump;
  });
}

async function withSchema<T>(url: string, use: (client: pg.Client, quotedSchema: string) => Promise<T>): Promise<T> {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema')!;
  parsed.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: parsed.toString(), types: readModelTypes });
  await client.connect();
  try {
    return await use(client, quoteIdentifier(schema));
  } finally {
    await client.end();
  }
}

export interface GivenContext {
  runner: ReadModelRunner;
}

/** Given these histories (or recorded events), then the read models answer so; see `givenOnSqlite`. */
export type GivenHistories = (
  histories: readonly History[] | readonly RecordedEvent[],
  options?: { isRegistered?: IsRegistered },
) => { then(assert: (queries: ProjectionQueries, context: GivenContext) => Promise<void> | void): Promise<void> };

/** Where read-model specs run: the suites take one of these and are run on each. */
export interface ReadModelStore {
  /** The read models with `events` applied in batches of 7, their runner and queries. */
  open(events: readonly RecordedEvent[], isRegistered: IsRegistered | undefined): Promise<ReadModelsUnderTest>;
  /** Applies `events` twice straight to fresh read models (no checkpoint) in one transaction and dumps them. */
  applyTwice(events: readonly DecodedEvent[]): Promise<Record<string, unknown[]>>;
}

interface ReadModelsUnderTest {
  runner: ReadModelRunner;
  queries: ProjectionQueries;
  dump(): Promise<Record<string, unknown[]>>;
  close(): Promise<void>;
}

const decodeAll = (events: readonly RecordedEvent[]): DecodedEvent[] => {
  const upcasters = defaultUpcasterRegistry();
  return events.flatMap((event) => {
    const decoded = decodeEvent(event, upcasters);
    return decoded.ok ? [decoded.decoded] : [];
  });
};

/**
 * Given/when/then for projections (after emmett's projection specification): given these
 * histories, when their events are applied, then the read models answer so — and applying the
 * same events a second time, through the runner or straight to the read models, changes nothing.
 */
export function givenOn(store: ReadModelStore): GivenHistories {
  return (histories, options = {}) => ({
    async then(assert) {
      const events: RecordedEvent[] = isRecorded(histories) ? [...histories] : recordedFrom(histories as History[]);
      const opened = await store.open(events, options.isRegistered);
      try {
        const once = await opened.dump();
        const again = await opened.runner.applyEvents(events);
        expect(again.applied + again.skipped).toBe(0);
        expect(await opened.dump()).toEqual(once);
        expect(await store.applyTwice(decodeAll(events))).toEqual(once);
        await assert(opened.queries, { runner: opened.runner });
      } finally {
        await opened.close();
      }
    },
  });
}

async function applyInBatches(runner: ReadModelRunner, events: readonly RecordedEvent[]): Promise<void> {
  for (let index = 0; index < events.length; index += 7) await runner.applyEvents(events.slice(index, index + 7));
}

/** Read models in an in-memory SQLite file. */
export const sqliteReadModels: ReadModelStore = {
  async open(events, isRegistered) {
    const db = openProjectionDatabase(':memory:');
    const runner = createProjectionRunner({ store: createMemoryEventStore(), db, batchSize: 7 });
    await applyInBatches(runner, events);
    return {
      runner,
      queries: createProjectionQueries(db, isRegistered === undefined ? {} : { isRegistered }),
      dump: async () => dumpReadModels(db),
      close: async () => void db.close(),
    };
  },
  async applyTwice(events) {
    const twice = openProjectionDatabase(':memory:');
    createProjectionRunner({ store: createMemoryEventStore(), db: twice });
    const appliers = DEFAULT_READ_MODELS.map((model) => model.createApplier(twice));
    twice.transaction(() => {
      for (let round = 0; round < 2; round += 1) {
        for (const event of events) for (const applier of appliers) applier.apply(event);
        for (const applier of appliers) applier.flush();
      }
    })();
    const dump = dumpReadModels(twice);
    twice.close();
    return dump;
  },
};

/** Read models in a fresh schema of a PostgreSQL server (one schema per `open`). */
export function postgresReadModels(postgres: () => TestPostgres): ReadModelStore {
  const openIn = async (url: string, isRegistered?: IsRegistered) =>
    openPostgresProjections({ storeUrl: url, store: createMemoryEventStore(), batchSize: 7, ...(isRegistered === undefined ? {} : { isRegistered }) });
  return {
    async open(events, isRegistered) {
      const url = postgres().schemaUrl('rm');
      const opened = await openIn(url, isRegistered);
      await applyInBatches(opened.runner, events);
      return { runner: opened.runner, queries: opened.queries, dump: () => dumpPostgresReadModels(url), close: () => opened.close() };
    },
    async applyTwice(events) {
      const url = postgres().schemaUrl('rm');
      await (await openIn(url)).close();
      await withSchema(url, async (client, s) => {
        await client.query('BEGIN');
        for (let round = 0; round < 2; round += 1) await writeReadModels(client, s, events);
        await client.query('COMMIT');
      });
      return dumpPostgresReadModels(url);
    },
  };
}

/** The SQLite spec most suites started with. */
export const givenHistories: GivenHistories = givenOn(sqliteReadModels);

const isRecorded = (items: readonly unknown[]): items is readonly RecordedEvent[] =>
  items.length > 0 && typeof (items[0] as { position?: unknown }).position === 'bigint';
