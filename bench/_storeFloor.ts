/**
 * The "raw floor" for bench/store.ts: the same rows, in the same schema and with the same
 * durability pragmas, inserted with plain better-sqlite3 prepared statements and nothing else.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { prepareDatabase } from '../src/eventstore/sqlite/schema.js';
import { uuidToBytes } from '../src/eventstore/sqlite/uuidBytes.js';

export interface RawFloor {
  /** Inserts single rows, each its own (autocommit) transaction, for about `seconds`; returns rows written. */
  rowPerTransaction(seconds: number): number;
  /** Inserts rows for 1,000 streams, `batchSize` rows per transaction, for about `seconds`; returns rows written. */
  batched(seconds: number, batchSize: number): number;
  close(): void;
}

export function createRawFloor(path: string, payload: string): RawFloor {
  const db = new Database(path);
  prepareDatabase(db, { synchronous: 'FULL', busyTimeoutMs: 5_000 });
  const insert = db.prepare('INSERT INTO events (stream_id, revision, id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const createStream = db.prepare('INSERT INTO streams (stream_id, name) VALUES (?, ?)');
  db.transaction(() => {
    for (let id = 0; id <= 1000; id++) createStream.run(id, `floor-${id}`);
  })();
  let single = 0;
  let many = 0;
  const insertMany = db.transaction((count: number) => {
    const created = Date.now();
    for (let index = 0; index < count; index++, many++)
      insert.run(many % 1000, Math.floor(many / 1000), uuidToBytes(randomUUID()), 'Measured', payload, '{}', created);
  });

  return {
    rowPerTransaction(seconds) {
      const until = performance.now() + seconds * 1000;
      let rows = 0;
      while (performance.now() < until) {
        insert.run(1000, single++, uuidToBytes(randomUUID()), 'Measured', payload, '{}', Date.now());
        rows++;
      }
      return rows;
    },
    batched(seconds, batchSize) {
      const until = performance.now() + seconds * 1000;
      let rows = 0;
      while (performance.now() < until) {
        insertMany(batchSize);
        rows += batchSize;
      }
      return rows;
    },
    close: () => db.close(),
  };
}
