import { escapeLiteral, type ClientBase, type QueryResult } from 'pg';
import type { CheckpointRow, SkipCount } from '../checkpointStore.js';
import type { SkipReason } from '../decodeEvent.js';
import { READ_MODEL_TABLES } from './readModelTables.js';
import { rowsJson } from './writeReadModels.js';

type Row = { position: string | null; generation: number; schema: string };
const checkpointOf = (row: Row | undefined, name: string): CheckpointRow => {
  if (row === undefined) throw new Error(`Checkpoint row "${name}" vanished`);
  // The read models are tables beside the log they were built from: no other log can be behind them.
  return { position: row.position === null ? null : BigInt(row.position), eventId: null, generation: row.generation, schema: row.schema };
};

/**
 * The checkpoint row and skip counters of the read models in schema `s` (quoted), as
 * checkpointStore.ts keeps them in SQLite. `lock` starts the batch's transaction and takes the
 * row `FOR UPDATE`: batches of every node applying this log queue on it, so each reads the
 * checkpoint the previous one committed and applies only what comes after.
 */
export function pgCheckpoint(s: string, name: string) {
  const named = escapeLiteral(name);
  const select = `SELECT position::text, generation, schema FROM ${s}.projection_checkpoint WHERE name = ${named}`;
  return {
    async ensure(client: { query: ClientBase['query'] }): Promise<void> {
      await client.query(`INSERT INTO ${s}.projection_checkpoint (name, position, generation, schema) VALUES (${named}, NULL, 0, '') ON CONFLICT DO NOTHING`);
    },
    /** Opens the transaction and locks the row until COMMIT (one round trip). */
    async lock(client: ClientBase): Promise<CheckpointRow> {
      const results = (await client.query(`BEGIN; ${select} FOR UPDATE`)) as unknown as QueryResult<Row>[];
      return checkpointOf(results[1]?.rows[0], name);
    },
    async read(client: { query: ClientBase['query'] }): Promise<CheckpointRow> {
      return checkpointOf((await client.query<Row>(select)).rows[0], name);
    },
    async write(client: ClientBase, position: bigint): Promise<void> {
      await client.query(`UPDATE ${s}.projection_checkpoint SET position = $1 WHERE name = ${named}`, [position.toString()]);
    },
    /** Empties the read models and forgets the position and every skip count; inside a `lock`ed transaction. */
    async restart(client: ClientBase, schema: string): Promise<number> {
      await client.query(`TRUNCATE ${READ_MODEL_TABLES.map((table) => `${s}.${table}`).join(', ')}, ${s}.projection_skips`);
      const { rows } = await client.query<{ generation: number }>(
        `UPDATE ${s}.projection_checkpoint SET position = NULL, generation = generation + 1, schema = $1 WHERE name = ${named} RETURNING generation`,
        [schema],
      );
      return rows[0]!.generation;
    },
    async countSkips(client: ClientBase, skips: readonly SkipCount[]): Promise<void> {
      if (skips.length === 0) return;
      const rows = skips.map(({ reason, detail, count, lastPosition }) => ({ reason, detail, count, last_position: lastPosition.toString() }));
      await client.query(
        `INSERT INTO ${s}.projection_skips SELECT * FROM json_populate_recordset(NULL::${s}.projection_skips, $1::json) ` +
          'ON CONFLICT (reason, detail) DO UPDATE SET count = projection_skips.count + EXCLUDED.count, last_position = EXCLUDED.last_position',
        [rowsJson(rows)],
      );
    },
    async skips(client: { query: ClientBase['query'] }): Promise<SkipCount[]> {
      const { rows } = await client.query<{ reason: SkipReason; detail: string; count: number; last: string }>(
        `SELECT reason, detail, count, last_position::text AS last FROM ${s}.projection_skips ORDER BY reason, detail`,
      );
      return rows.map(({ reason, detail, count, last }) => ({ reason, detail, count: Number(count), lastPosition: BigInt(last) }));
    },
  };
}

export type PgCheckpoint = ReturnType<typeof pgCheckpoint>;
