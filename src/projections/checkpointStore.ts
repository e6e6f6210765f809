import type { ProjectionDatabase } from './projectionDatabase.js';
import type { SkipReason } from './decodeEvent.js';

export interface CheckpointRow {
  position: bigint | null;
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
  const read = db.prepare<[string], { position: bigint | null; generation: bigint; schema: string }>(
    'SELECT position, generation, schema FROM projection_checkpoint WHERE name = ?',
  );
  read.safeIntegers(true);
  const write = db.prepare('UPDATE projection_checkpoint SET position = ? WHERE name = ?');
  const restart = db.prepare('UPDATE projection_checkpoint SET position = NULL, generation = generation + 1, schema = ? WHERE name = ?');
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
      return { position: row.position, generation: Number(row.generation), schema: row.schema };
    },
    write: (position: bigint) => void write.run(position, name),
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
