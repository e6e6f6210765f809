import type pg from 'pg';
import type { EventMetadata, JsonValue, ReadAllOptions, ReadStreamOptions, RecordedEvent } from '../types.js';
import type { StoreSql } from './storeSql.js';

type Row = [position: string, revision: number, id: string, type: string, data: string, metadata: string, created: Date];
type NamedRow = [...Row, stream: string];

const MAX_REVISION = 2_147_483_647;
const MAX_POSITION = '9223372036854775807';
// PostgreSQL reads LIMIT NULL as "no limit".
const limitOf = (limit: number | undefined): number | null => (limit === undefined ? null : Math.max(0, Math.floor(limit)));

const toRecorded = (row: Row | NamedRow, stream: string): RecordedEvent => ({
  id: row[2],
  stream,
  type: row[3],
  revision: row[1],
  position: BigInt(row[0]),
  data: JSON.parse(row[4]) as JsonValue,
  metadata: JSON.parse(row[5]) as EventMetadata,
  created: row[6],
});

export interface PgReader {
  readStream(stream: string, options: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;
  headPosition(): Promise<bigint | null>;
}

/**
 * Reads through the pool with named prepared statements (planned once per connection) returning
 * array rows. Every read is one statement, so it sees one snapshot; positions commit in order
 * (see groupCommitWriter.ts), so a read of the log never has a hole a later commit will fill.
 */
export function createPgReader(pool: pg.Pool, sql: StoreSql): PgReader {
  const statement = (name: string) => `${sql.prepared}${name}`;
  const rows = async <R extends unknown[]>(name: string, text: string, values: unknown[]): Promise<R[]> =>
    (await pool.query<R>({ name: statement(name), text, values, rowMode: 'array' })).rows;

  return {
    async readStream(stream, options) {
      const backwards = options.direction === 'backwards';
      const from = options.from ?? (backwards ? 'end' : 'start');
      const start = from === 'start' ? 0 : from === 'end' ? MAX_REVISION : Math.min(from, MAX_REVISION);
      const found = backwards
        ? await rows<Row>('stream_b', sql.streamBackwards, [stream, start, limitOf(options.limit)])
        : await rows<Row>('stream_f', sql.streamForwards, [stream, start, limitOf(options.limit)]);
      return found.map((row) => toRecorded(row, stream));
    },

    async readAll(options) {
      const backwards = options.direction === 'backwards';
      const from = options.fromPosition ?? (backwards ? 'end' : 'start');
      // Positions start at 1, so backwards from 'start' (position 0) reads nothing, as in SQLite.
      const start = from === 'start' ? '0' : from === 'end' ? MAX_POSITION : from.toString();
      const prefixes = options.filter?.streamPrefixes;
      const values = [start, limitOf(options.limit), prefixes === undefined || prefixes.length === 0 ? null : prefixes];
      const found = backwards ? await rows<NamedRow>('all_b', sql.allBackwards, values) : await rows<NamedRow>('all_f', sql.allForwards, values);
      return found.map((row) => toRecorded(row, row[7]));
    },

    async headPosition() {
      const [row] = await rows<[string | null]>('head', sql.headPosition, []);
      return row?.[0] === null || row?.[0] === undefined ? null : BigInt(row[0]);
    },
  };
}
