import { escapeLiteral } from 'pg';
import { advisoryLockKey, quoteIdentifier } from './schema.js';

/** The SQL of one store, with its schema and lock key written in. */
export interface StoreSql {
  /** Opens the append transaction and waits for the schema's append lock (one round trip). */
  readonly beginAndLock: string;
  /** The same, then `{partition, owner, epoch}` of these partitions' leases, locked `FOR SHARE` until COMMIT (fences). */
  beginLockAndReadLeases(partitions: readonly number[]): string;
  /** `[name, stream_id, head, null]` per existing stream of `$1`, plus `[null, null, null, last position]`. */
  readonly heads: string;
  /** `[stream_id, revision, id, position]` of stored events of streams `$1` whose id is in `$2`. */
  readonly lookup: string;
  /** Upserts the touched streams' heads and inserts the events (one round trip). */
  readonly write: string;
  /** Name prefix of this store's prepared statements (planned once per connection). */
  readonly prepared: string;
  /** Tells listeners which streams changed, then commits (one round trip). */
  notifyAndCommit(streams: readonly string[]): string;
  /** `[position, revision, id, type, data, metadata, created]` of a stream, forwards / backwards. */
  readonly streamForwards: string;
  readonly streamBackwards: string;
  /** The same plus the stream name, over the whole log; `$3` is a prefix list or null. */
  readonly allForwards: string;
  readonly allBackwards: string;
  readonly headPosition: string;
  /** The NOTIFY channel, and the same quoted for LISTEN. */
  readonly channel: string;
  readonly listen: string;
}

// NOTIFY payloads are limited to 8000 bytes; past this the streams are left out and every
// subscriber reads again.
const MAX_NOTIFIED_STREAMS_BYTES = 7_000;

/** Builds the statements of the store in `schema`; `origin` marks this store's own notifications. */
export function storeSql(schema: string, origin: string): StoreSql {
  const s = quoteIdentifier(schema);
  const channel = `ecl_events:${schema}`;
  const columns = 'e.position::text, e.revision, e.id::text, e.type, e.data, e.metadata, e.created';
  const streamOf = `(SELECT stream_id FROM ${s}.streams WHERE name = $1)`;
  const prefixes = `($3::text[] IS NULL OR s.name ^@ ANY ($3::text[]))`;
  const beginAndLock = `BEGIN; SELECT pg_advisory_xact_lock(${advisoryLockKey(`ecl:append:${schema}`)})`;
  return {
    beginAndLock,
    beginLockAndReadLeases(partitions) {
      // Written into the text (one simple-protocol round trip with the lock); a partition that is
      // not an integer has no lease, so its fence fails as it should.
      const list = partitions.filter((partition) => Number.isSafeInteger(partition)).join(', ') || 'NULL';
      return `${beginAndLock}; SELECT partition, owner, epoch FROM ${s}.leases WHERE partition IN (${list}) FOR SHARE`;
    },
    heads:
      `SELECT name, stream_id::text, head, NULL FROM ${s}.streams WHERE name = ANY ($1::text[]) ` +
      `UNION ALL SELECT NULL, NULL, NULL, (SELECT coalesce(max(position), 0) FROM ${s}.events)::text`,
    lookup: `SELECT stream_id::text, revision, id::text, position::text FROM ${s}.events WHERE stream_id = ANY ($1::bigint[]) AND id = ANY ($2::uuid[])`,
    write:
      `WITH touched AS (` +
      `INSERT INTO ${s}.streams (name, head) SELECT * FROM unnest($1::text[], $2::integer[]) ` +
      `ON CONFLICT (name) DO UPDATE SET head = EXCLUDED.head RETURNING stream_id, name) ` +
      `INSERT INTO ${s}.events (position, stream_id, revision, id, type, data, metadata, created) ` +
      `SELECT e.position, t.stream_id, e.revision, e.id, e.type, e.data, e.metadata, now() ` +
      `FROM unnest($3::bigint[], $4::text[], $5::integer[], $6::uuid[], $7::text[], $8::text[], $9::text[]) ` +
      `AS e (position, name, revision, id, type, data, metadata) JOIN touched t ON t.name = e.name`,
    notifyAndCommit(streams) {
      const named = JSON.stringify({ o: origin, s: streams });
      const payload = Buffer.byteLength(named) <= MAX_NOTIFIED_STREAMS_BYTES ? named : JSON.stringify({ o: origin });
      return `SELECT pg_notify(${escapeLiteral(channel)}, ${escapeLiteral(payload)}); COMMIT`;
    },
    streamForwards: `SELECT ${columns} FROM ${s}.events e WHERE e.stream_id = ${streamOf} AND e.revision >= $2 ORDER BY e.revision LIMIT $3`,
    streamBackwards: `SELECT ${columns} FROM ${s}.events e WHERE e.stream_id = ${streamOf} AND e.revision <= $2 ORDER BY e.revision DESC LIMIT $3`,
    allForwards:
      `SELECT ${columns}, s.name FROM ${s}.events e JOIN ${s}.streams s ON s.stream_id = e.stream_id ` +
      `WHERE e.position >= $1 AND ${prefixes} ORDER BY e.position LIMIT $2`,
    allBackwards:
      `SELECT ${columns}, s.name FROM ${s}.events e JOIN ${s}.streams s ON s.stream_id = e.stream_id ` +
      `WHERE e.position <= $1 AND ${prefixes} ORDER BY e.position DESC LIMIT $2`,
    headPosition: `SELECT max(position)::text FROM ${s}.events`,
    prepared: `ecl_${schema}_`,
    channel,
    listen: `LISTEN ${quoteIdentifier(channel)}`,
  };
}
