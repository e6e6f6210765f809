import { createProjectionRunner, openProjectionDatabase } from '../../../src/projections/index.js';
import type { EventStore } from '../../../src/eventstore/index.js';
import type { TestPostgres } from '../../support/embeddedPostgres.js';
import { dumpPostgresReadModels, dumpReadModels } from './projectionSpec.js';

const schemaOf = (url: string): string => `"${new URL(url).searchParams.get('schema')!}"`;

/**
 * Makes the read models of a schema count their own writes (its tables must exist): every
 * attempt to insert an audit entry — one per event applied, before any conflict check — lands in
 * `applications`, and every checkpoint update in `checkpoint_moves`, both in the batch's own
 * transaction, so a rolled-back batch leaves no trace there either.
 */
export async function countApplications(postgres: TestPostgres, url: string): Promise<void> {
  const s = schemaOf(url);
  await postgres.sql(`
    CREATE TABLE ${s}.applications (workflow_id text NOT NULL, revision integer NOT NULL, position bigint NOT NULL);
    CREATE FUNCTION ${s}.count_application() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO ${s}.applications VALUES (NEW.workflow_id, NEW.revision, NEW.position); RETURN NEW; END $$;
    CREATE TRIGGER counted BEFORE INSERT ON ${s}.audit_entries FOR EACH ROW EXECUTE FUNCTION ${s}.count_application();
    CREATE TABLE ${s}.checkpoint_moves (was bigint, now bigint, was_generation integer, now_generation integer);
    CREATE FUNCTION ${s}.record_move() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO ${s}.checkpoint_moves VALUES (OLD.position, NEW.position, OLD.generation, NEW.generation); RETURN NEW; END $$;
    CREATE TRIGGER moved BEFORE UPDATE ON ${s}.projection_checkpoint FOR EACH ROW EXECUTE FUNCTION ${s}.record_move();
  `);
}

/** How often each event was applied, and the checkpoint updates that moved it backwards within a generation. */
export async function applicationsOf(postgres: TestPostgres, url: string) {
  const s = schemaOf(url);
  const counts =
    await postgres.sql(`SELECT count(*)::int AS n, coalesce(max(times), 0)::int AS most, coalesce(min(times), 0)::int AS least, max(last)::text AS last
    FROM (SELECT count(*) AS times, max(position) AS last FROM ${s}.applications GROUP BY workflow_id, revision) a`);
  const backwards = await postgres.sql(`SELECT * FROM ${s}.checkpoint_moves WHERE was_generation = now_generation AND (now IS NULL OR now <= was)`);
  const checkpoint = await postgres.sql(`SELECT position::text FROM ${s}.projection_checkpoint`);
  return {
    ...(counts.rows[0] as { n: number; most: number; least: number; last: string | null }),
    backwards: backwards.rows,
    checkpoint: (checkpoint.rows[0] as { position: string | null }).position,
  };
}

/** The read models in PostgreSQL against a fold of the whole log from scratch into SQLite: equal table by table. */
export async function expectEqualToFoldFromScratch(store: EventStore, url: string, expect: (actual: unknown) => { toEqual(expected: unknown): void }) {
  const fresh = openProjectionDatabase(':memory:');
  await createProjectionRunner({ store, db: fresh }).rebuild();
  const folded = dumpReadModels(fresh);
  fresh.close();
  const kept = await dumpPostgresReadModels(url);
  expect(Object.fromEntries(Object.keys(folded).map((table) => [table, kept[table]]))).toEqual(folded);
  return folded;
}
