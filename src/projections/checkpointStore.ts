import type { ProjectionDatabase } from './projectionDatabase.js';
import type { SkipReason } from './decodeEvent.js';

export interface CheckpointRow {
  position: bigint | null;
  /** The id of the event at `position` (null for a file written before ids were kept). */
  eventId: string | null;
  /** Bumped by every rebuild, so a runner fed from an older subscription notices and re-subscribes. */
  generation: number;
  schema: string;
}

export interface SkipCount {
  reason: SkipReason;
  detail: string;
  count: number;
  lastPosition: bigint;
}

/** The checkpoint row and skip counters; every write happens inside the runner's batch transaction. */
export function createCheckpointStore(db: ProjectionDatabase, name: string) {
  db.prepare('INSERT OR IGNORE INTO projection_checkpoint (name, position, generation, schema) VALUES (?, NULL, 0, ?)').run(name, '');
  const read = db.prepare<[string], { position: bigint | null; eventId: string | null; generation: bigint; schema: string }>(
    'SELECT position, event_id AS eventId, generation, schema FROM projection_checkpoint WHERE name = ?',
  );
  read.safeIntegers(true);
  const write = db.prepare('UPDATE projection_checkpoint SET position = ?, event_id = ? WHERE name = ?');
  const restart = db.prepare('UPDATE projection_checkpoint SET position = NULL, event_id = NULL, generation = generation + 1, schema = ? WHERE name = ?');
  const countSkip = db.prepare(
    `INSERT INTO projection_skips (reason, detail, count, last_position) VALUES (@reason, @detail, @count, @lastPosition)
     ON CONFLICT (reason, detail) DO UPDATE SET count = count + excluded.count, last_position = excluded.last_position`,
  );
  const readSkips = db.prepare<[], SkipCount>('SELECT reason, detail, count, last_position AS lastPosition FROM projection_skips ORDER BY reason, detail');
  readSkips.safeIntegers(true);
  return {
    read(): CheckpointRow {
      const row = read.get(name);
      if (row === undefined) throw new Error(`Checkpoint row "${name}" vanished`);
      return { position: row.position, eventId: row.eventId, generation: Number(row.generation), schema: row.schema };
    },
    write: (position: bigint, eventId: string | null) => void write.run(position, eventId, name),
    /** Forgets the position and every skip count: the read models are empty again. */
    restart(schema: string) {
      restart.run(schema, name);
      db.exec('DELETE FROM projection_skips');
    },
    countSkips(skips: Iterable<SkipCount>) {
      for (const skip of skips) countSkip.run(skip);
    },
    skips: (): SkipCount[] => readSkips.all().map((skip) => ({ ...skip, count: Number(skip.count) })),
  };
}

export type CheckpointStore = ReturnType<typeof createCheckpointStore>;
