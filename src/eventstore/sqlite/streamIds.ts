import type { Database } from 'better-sqlite3';

/**
 * Maps stream names to their integer ids (reads of the log join the names in SQL). A stream's id never changes and is never reused, so a
 * cached pair stays right even while another process writes the same file; only pairs known to be
 * committed enter the cache (`remember` is called by the writer after COMMIT).
 */
export interface StreamIds {
  /** The committed id of a stream, or undefined if it does not exist (yet). */
  idOf(name: string): number | undefined;
  /** Creates the stream row inside the caller's transaction; not cached until `remember`. */
  create(name: string): number;
  remember(name: string, id: number): void;
}

export function createStreamIds(db: Database): StreamIds {
  const selectId = db.prepare<[string], number>('SELECT stream_id FROM streams WHERE name = ?').pluck();
  const insert = db.prepare<[string]>('INSERT INTO streams (name) VALUES (?)');
  const ids = new Map<string, number>();

  const remember = (name: string, id: number): void => {
    ids.set(name, id);
  };

  return {
    idOf(name) {
      const cached = ids.get(name);
      if (cached !== undefined) return cached;
      return selectId.get(name);
    },
    create: (name) => Number(insert.run(name).lastInsertRowid),
    remember,
  };
}
