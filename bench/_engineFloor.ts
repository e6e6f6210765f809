/**
 * Raw floors for bench/engine.ts: serial3's three step results written straight to SQLite with
 * better-sqlite3, in the event store's own schema and durability (WAL, synchronous=FULL), with no
 * engine, no machine, no event envelope beyond the row.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { prepareDatabase } from '../src/eventstore/sqlite/schema.js';
import { uuidToBytes } from '../src/eventstore/sqlite/uuidBytes.js';

const STEPS = ['one', 'two', 'three'] as const;
const dataOf = (step: string) => JSON.stringify({ v: 1, step, iteration: 1, attempt: 1, output: null });

export interface EngineFloor {
  /** One workflow: three single-row transactions, one per step. Returns ms. */
  workflowOneTransactionPerStep(): number;
  /** `inFlight` workflows at once: each of the three steps of all of them in one transaction. Returns ms. */
  batchOfWorkflows(inFlight: number): number;
  close(): void;
}

export function createEngineFloor(path: string): EngineFloor {
  const db = new Database(path);
  prepareDatabase(db, { synchronous: 'FULL', busyTimeoutMs: 5_000 });
  const createStream = db.prepare('INSERT INTO streams (name) VALUES (?)');
  const insert = db.prepare('INSERT INTO events (stream_id, revision, id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const newStream = (): number => Number(createStream.run(`floor-${randomUUID()}`).lastInsertRowid);
  const write = (stream: number, index: number) =>
    insert.run(stream, index, uuidToBytes(randomUUID()), 'StepCompleted', dataOf(STEPS[index] as string), '{}', Date.now());
  const writeBatch = db.transaction((streams: readonly number[], index: number) => {
    for (const stream of streams) write(stream, index);
  });
  return {
    workflowOneTransactionPerStep() {
      const started = performance.now();
      const stream = newStream();
      for (let index = 0; index < STEPS.length; index++) write(stream, index);
      return performance.now() - started;
    },
    batchOfWorkflows(inFlight) {
      const started = performance.now();
      const streams = db.transaction(() => Array.from({ length: inFlight }, newStream))();
      for (let index = 0; index < STEPS.length; index++) writeBatch(streams, index);
      return performance.now() - started;
    },
    close: () => db.close(),
  };
}
