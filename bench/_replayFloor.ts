/**
 * The floor for bench/projections.ts's replay figures: the least any replay of a stream must do —
 * read its rows from the SQLite file in pages of 500, as replay reads, and parse their JSON — with
 * plain better-sqlite3 and nothing else (no store, no upcast, no validation, no fold).
 */
import Database from 'better-sqlite3';

export interface ReplayFloor {
  /** Reads and parses every event of `stream`; returns how many. */
  readAndParse(stream: string): number;
  close(): void;
}

interface Row {
  type: string;
  data: string;
  metadata: string;
}

export function createReplayFloor(path: string): ReplayFloor {
  const db = new Database(path, { readonly: true });
  const streamId = db.prepare<[string], number>('SELECT stream_id FROM streams WHERE name = ?').pluck();
  const page = db.prepare<[number, number, number], Row>(
    'SELECT type, data, metadata FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?',
  );
  return {
    readAndParse(stream) {
      const id = streamId.get(stream);
      if (id === undefined) throw new Error(`no stream ${stream}`);
      let count = 0;
      for (let rows = page.all(id, 0, 500); rows.length > 0; rows = page.all(id, count, 500)) {
        for (const row of rows) {
          if (JSON.parse(row.data) === undefined || JSON.parse(row.metadata) === undefined || row.type === '') throw new Error('unreadable row');
          count += 1;
        }
      }
      return count;
    },
    close: () => db.close(),
  };
}
