import { createHash } from 'node:crypto';
import type pg from 'pg';
import { EventStoreError } from '../errors.js';

/** Each entry upgrades the schema by one version; `schema_version` holds one row per step applied. */
const MIGRATIONS: ReadonlyArray<(schema: string) => string> = [
  // Streams get a small integer id and keep their head (revision of the last event), so an append
  // reads one row per stream instead of an index range. Positions are assigned by the writer
  // holding the append lock (see groupCommitWriter.ts), not by a sequence: a sequence value is
  // taken before commit, and commits would then become visible out of position order.
  // Data and metadata are stored as the exact JSON text appended (cast to jsonb to query them):
  // nothing is parsed on the write path, and key order round-trips.
  // No foreign key from events to streams: only this adapter writes them, in one statement.
  (s) => `
    CREATE TABLE ${s}.streams (
      stream_id bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name      text    NOT NULL UNIQUE,
      head      integer NOT NULL
    );
    CREATE TABLE ${s}.events (
      position  bigint      PRIMARY KEY,
      stream_id bigint      NOT NULL,
      revision  integer     NOT NULL,
      id        uuid        NOT NULL,
      type      text        NOT NULL,
      data      text        NOT NULL,
      metadata  text        NOT NULL,
      created   timestamptz NOT NULL,
      UNIQUE (stream_id, revision)
    );`,
  // v2: the partition leases of workers sharing the schema (docs/scaling.md), kept beside the log
  // so an append checks its fence in its own transaction (postgresLeaseTable.ts). Times are epoch
  // milliseconds of the workers' clocks; `info` is the JSON a worker publishes, as text.
  (s) => `
    CREATE TABLE ${s}.cluster_settings (
      key   text PRIMARY KEY,
      value text NOT NULL
    );
    CREATE TABLE ${s}.leases (
      partition  integer PRIMARY KEY,
      owner      text,
      epoch      integer NOT NULL,
      expires_at bigint  NOT NULL
    );
    CREATE TABLE ${s}.lease_workers (
      id         text    PRIMARY KEY,
      role       text    NOT NULL,
      pid        integer NOT NULL,
      host       text    NOT NULL,
      started_at bigint  NOT NULL,
      last_seen  bigint  NOT NULL,
      info       text    NOT NULL
    );`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** A double-quoted SQL identifier. */
export const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * A 64-bit advisory lock key (as SQL integer text) derived from a name: every process using the
 * same schema derives the same key, and other schemas in the database get other keys.
 */
export function advisoryLockKey(name: string): string {
  return BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update(name).digest('hex').slice(0, 16)}`)).toString();
}

/** A versioned list of schema changes with its own table of applied steps (the store's, the read models'). */
export interface Migrations {
  /** Holds one row per step applied, in the schema. */
  versionTable: string;
  /** Each entry upgrades by one version; given the quoted schema name. */
  steps: ReadonlyArray<(schema: string) => string>;
  /** The error for a schema written by a newer ECL. */
  newer(version: number): Error;
}

const STORE_MIGRATIONS: Migrations = {
  versionTable: 'schema_version',
  steps: MIGRATIONS,
  newer: (version) =>
    new EventStoreError('INVALID_STORE_URL', `the schema was written by a newer ECL (schema version ${version}; this one knows ${SCHEMA_VERSION})`),
};

async function versionOf(client: pg.ClientBase, schema: string, versionTable: string): Promise<number> {
  const table = `${quoteIdentifier(schema)}.${versionTable}`;
  const found = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [table]);
  if (found.rows[0]?.exists !== true) return 0;
  const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${table}`);
  return rows[0]?.version ?? 0;
}

/**
 * Creates or upgrades ECL's tables in `schema` through `client`. A schema already current is only
 * read, so a role without CREATE privilege can use tables an administrator migrated. Otherwise
 * every step runs in one transaction under a transaction-scoped advisory lock: two processes
 * starting at once migrate once (the second waits, then finds the work done), and a failed step
 * leaves nothing.
 */
export async function migrate(client: pg.ClientBase, schema: string, migrations: Migrations = STORE_MIGRATIONS): Promise<void> {
  const { versionTable, steps } = migrations;
  const current = await versionOf(client, schema, versionTable);
  if (current > steps.length) throw migrations.newer(current);
  if (current === steps.length) return;
  const quoted = quoteIdentifier(schema);
  try {
    await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${advisoryLockKey(`ecl:migrate:${schema}`)})`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${quoted}.${versionTable} (version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())`);
    const locked = await versionOf(client, schema, versionTable);
    if (locked > steps.length) throw migrations.newer(locked);
    for (let next = locked; next < steps.length; next++) {
      await client.query(steps[next]!(quoted));
      await client.query(`INSERT INTO ${quoted}.${versionTable} (version) VALUES ($1)`, [next + 1]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
