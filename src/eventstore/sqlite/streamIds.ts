import type { Database } from 'better-sqlite3';

/**
 * Maps stream names to their integer ids. A stream's id never changes and is never reused, so a
 * cached pair stays right even while another process writes the same file; only pairs known to be
 * committed enter the cache (`remember` is called by the writer after COMMIT).
 */
export interface StreamIds {
  /** The committed id of a stream, or undefined if it does not exist (yet). */
  idOf(name: string): number | undefined;
  /** The name of a committed stream id. */
  nameOf(id: number): string;
  /** Creates the stream row inside the caller's transaction; not cached until `remember`. */
  create(name: string): number;
  remember(name: string, id: number): void;
}

export function createStreamIds(db: Database): StreamIds {
  const selectId = db.prepare<[string], number>('SELECT stream_id FROM streams WHERE name = ?').pluck();
  const selectName = db.prepare<[number], string>('SELECT name FROM streams WHERE stream_id = ?').pluck();
  const insert = db.prepare<[string]>('INSERT INTO streams (name) VALUES (?)');
  const ids = new Map<string, number>();
  const names = new Map<number, string>();

  const remember = (name: string, id: number): void => {
    ids.set(name, id);
    names.set(id, name);
  };

  return {
    idOf(name) {
      const cached = ids.get(name);
      if (cached !== undefined) return cached;
      return selectId.get(name);
    },
    nameOf(id) {
      let name = names.get(id);
      if (name === undefined) {
        name = selectName.get(id);
        if (name === undefined) throw new Error(`Stream id ${id} has no name`);
        remember(name, id);
      }
      return name;
    },
    create: (name) => Number(insert.run(name).lastInsertRowid),
    remember,
  };
}
