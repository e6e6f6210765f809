import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';

export type ProjectionDatabase = SqliteDatabase;

/**
 * Opens (creating if needed) the SQLite file that holds the read models and their checkpoint.
 * WAL keeps readers (CLI queries) from blocking the runner; `synchronous = NORMAL` in WAL mode
 * still survives a killed process, which is the crash the checkpoint guards against.
 */
export function openProjectionDatabase(path: string): ProjectionDatabase {
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
  return db;
}

/**
 * Where the read models of a store live: beside a SQLite store's file
 * (`sqlite:./data/ecl.db` → `./data/ecl.projections.db`), in memory for a memory store, and in
 * `./ecl.projections.db` for a remote store such as KurrentDB. `ECL_PROJECTIONS` overrides it.
 */
export function projectionDatabasePathFor(storeUrl: string, override?: string): string {
  if (override !== undefined && override !== '') return override;
  if (storeUrl.startsWith('memory:') || storeUrl === 'memory') return ':memory:';
  if (storeUrl.startsWith('sqlite:')) {
    const path = storeUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === ':memory:' || path === '') return ':memory:';
    return `${path.replace(/\.(db|sqlite3?)$/i, '')}.projections.db`;
  }
  return 'ecl.projections.db';
}
