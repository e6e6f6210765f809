import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { sqlitePathOf } from '../eventstore/index.js';

export type ProjectionDatabase = SqliteDatabase;

/**
 * Opens (creating if needed) the SQLite file that holds the read models and their checkpoint.
 * WAL keeps readers (CLI queries) from blocking the runner; `synchronous = NORMAL` in WAL mode
 * still survives a killed process, which is the crash the checkpoint guards against.
 */
export function openProjectionDatabase(path: string): ProjectionDatabase {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const db = new Database(path);
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS projection_checkpoint (
      name TEXT PRIMARY KEY,
      position INTEGER,
      generation INTEGER NOT NULL DEFAULT 0,
      schema TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE IF NOT EXISTS projection_skips (
      reason TEXT NOT NULL,
      detail TEXT NOT NULL,
      count INTEGER NOT NULL,
      last_position INTEGER NOT NULL,
      PRIMARY KEY (reason, detail)
    );
  `);
  // Added later: the id of the event at the checkpoint, which tells a read model built from another log (see the runner).
  const columns = db.prepare<[], { name: string }>('PRAGMA table_info(projection_checkpoint)').all();
  if (!columns.some((column) => column.name === 'event_id')) db.exec('ALTER TABLE projection_checkpoint ADD COLUMN event_id TEXT');
  return db;
}

/**
 * A read-only connection to read models another connection (a projection worker thread) writes:
 * in WAL mode it reads the last committed batch without waiting for, or blocking, the writer.
 */
export function openProjectionReader(path: string): ProjectionDatabase {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * Where the read models of a store live: beside a SQLite store's file
 * (`sqlite:./data/ecl.db` → `<cwd>/data/ecl.projections.db`), in memory for a memory store, and in
 * `./.ecl/<host>.projections.db` for a remote store such as KurrentDB. An explicit path overrides it.
 */
export function projectionDatabasePathFor(storeUrl: string, override?: string): string {
  if (override !== undefined && override !== '') return override;
  if (/^memory:/i.test(storeUrl)) return ':memory:';
  if (/^sqlite:/i.test(storeUrl)) {
    const path = sqlitePathOf(storeUrl);
    return `${path.replace(/\.(db|sqlite3?)$/i, '')}.projections.db`;
  }
  // One file per server, so switching `--store` never mixes checkpoints of two logs.
  const server = storeUrl
    .replace(/^[a-z+]+:\/\//i, '')
    .replace(/^[^@/]*@/, '')
    .replace(/[?/].*$/, '');
  return resolve('.ecl', `${server.replace(/[^A-Za-z0-9.-]+/g, '_') || 'remote'}.projections.db`);
}
