import { writeSync } from 'node:fs';
import type { ReadModel } from '../../../src/projections/index.js';

/**
 * A read model for the crash test: counts how often each global position was applied, so
 * "applied twice" or "skipped" shows up as a row with times ≠ 1 or a missing row. With
 * `crashAfter`, after that many applications in this process it announces `MID_BATCH` on stdout
 * and spins, inside the batch transaction, until the parent kills it.
 */
export function applicationCounter(crashAfter?: number): ReadModel {
  let applied = 0;
  return {
    name: 'applications',
    schemaVersion: 1,
    migrate: (db) => db.exec('CREATE TABLE IF NOT EXISTS applications (position INTEGER PRIMARY KEY, times INTEGER NOT NULL)'),
    drop: (db) => db.exec('DROP TABLE IF EXISTS applications'),
    createApplier(db) {
      const count = db.prepare('INSERT INTO applications (position, times) VALUES (?, 1) ON CONFLICT (position) DO UPDATE SET times = times + 1');
      return {
        apply(event) {
          count.run(event.position);
          applied += 1;
          if (applied === crashAfter) {
            writeSync(1, 'MID_BATCH\n');
            for (;;) {
              // Busy, holding the open transaction, so the kill lands mid-batch.
            }
          }
        },
        flush: () => undefined,
        abort: () => undefined,
      };
    },
  };
}
