import type { Database, Statement } from 'better-sqlite3';
import type { EventMetadata, JsonValue, ReadAllOptions, ReadStreamOptions, RecordedEvent } from '../types.js';
import type { StreamIds } from './streamIds.js';
import { hexToUuid } from './uuidBytes.js';

// hex() in SQL is cheaper than a Node Buffer per row for the blob id.
const columns = (of = ''): string => `${of}position, ${of}stream_id, ${of}revision, lower(hex(${of}id)), ${of}type, ${of}data, ${of}metadata, ${of}created`;
type Row = [position: number, streamId: number, revision: number, idHex: string, type: string, data: string, metadata: string, created: number];
type NamedRow = [...Row, stream: string];

// SQLite reads LIMIT -1 as "no limit".
const limitOf = (limit: number | undefined): number => (limit === undefined ? -1 : Math.max(0, Math.floor(limit)));
// Positions and revisions are far below 2^53 in any real file; numbers avoid BigInt work per row.
const MAX = Number.MAX_SAFE_INTEGER;

const toRecorded = (row: Row | NamedRow, stream: string): RecordedEvent => ({
  id: hexToUuid(row[3]),
  stream,
  type: row[4],
  revision: row[2],
  position: BigInt(row[0]),
  data: JSON.parse(row[5]) as JsonValue,
  metadata: JSON.parse(row[6]) as EventMetadata,
  created: new Date(row[7]),
});

export interface SqliteReader {
  readStream(stream: string, options: ReadStreamOptions): RecordedEvent[];
  readAll(options: ReadAllOptions): RecordedEvent[];
  headPosition(): bigint | null;
}

/** Reads with prepared statements returning raw rows; JSON is parsed once per event, nothing else. */
export function createSqliteReader(db: Database, streams: StreamIds): SqliteReader {
  const raw = (sql: string): Statement<unknown[], Row> => db.prepare<unknown[], Row>(sql).raw(true);
  const streamForwards = raw(`SELECT ${columns()} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`);
  const streamBackwards = raw(`SELECT ${columns()} FROM events WHERE stream_id = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`);
  const head = db.prepare<[], number | null>('SELECT max(position) FROM events').pluck();
  const allStatements = new Map<string, Statement<unknown[], NamedRow>>();

  const allStatement = (backwards: boolean, prefixes: number): Statement<unknown[], NamedRow> => {
    const key = `${backwards ? 'b' : 'f'}${prefixes}`;
    let statement = allStatements.get(key);
    if (statement === undefined) {
      // substr counts characters, as the bound prefix length does (code points, not UTF-16 units).
      const matches = Array.from({ length: prefixes }, () => 'substr(s.name, 1, ?) = ?').join(' OR ');
      // CROSS JOIN keeps events (in position order) the outer loop; each row's stream name comes
      // with it, by primary key, instead of a query per stream not seen before.
      statement = db
        .prepare<unknown[], NamedRow>(
          `SELECT ${columns('e.')}, s.name FROM events e CROSS JOIN streams s ON s.stream_id = e.stream_id ` +
            `WHERE e.position ${backwards ? '<=' : '>='} ?${prefixes === 0 ? '' : ` AND (${matches})`} ORDER BY e.position ${backwards ? 'DESC' : ''} LIMIT ?`,
        )
        .raw(true);
      allStatements.set(key, statement);
    }
    return statement;
  };

  return {
    readStream(stream, options) {
      const streamId = streams.idOf(stream);
      if (streamId === undefined) return [];
      // Reads see only committed rows, so the pair is safe to cache.
      streams.remember(stream, streamId);
      const toEvent = (row: Row) => toRecorded(row, stream);
      const backwards = options.direction === 'backwards';
      const from = options.from ?? (backwards ? 'end' : 'start');
      const limit = limitOf(options.limit);
      if (backwards) {
        const start = from === 'end' ? MAX : from === 'start' ? 0 : from;
        return streamBackwards.all(streamId, start, limit).map(toEvent);
      }
      const start = from === 'start' ? 0 : from === 'end' ? MAX : from;
      return streamForwards.all(streamId, start, limit).map(toEvent);
    },

    readAll(options) {
      const backwards = options.direction === 'backwards';
      const from = options.fromPosition ?? (backwards ? 'end' : 'start');
      const start = from === 'start' ? 0 : from === 'end' ? MAX : Number(from);
      const prefixes = options.filter?.streamPrefixes ?? [];
      const filterArgs = prefixes.flatMap((prefix) => [[...prefix].length, prefix]);
      return allStatement(backwards, prefixes.length)
        .all(start, ...filterArgs, limitOf(options.limit))
        .map((row) => toRecorded(row, row[8]));
    },

    headPosition() {
      const position = head.get();
      return position === null || position === undefined ? null : BigInt(position);
    },
  };
}
