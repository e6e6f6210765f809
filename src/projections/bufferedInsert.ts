import type { Database } from 'better-sqlite3';

/** Rows per statement: past a few dozen the saving flattens out. */
const ROWS_PER_STATEMENT = 20;

export interface BufferedInsert {
  /** Queues one row (values in column order); written by `flush`, or as soon as a statement's worth is queued. */
  add(row: readonly unknown[]): void;
  flush(): void;
  /** Forgets queued rows: the transaction they belonged to rolled back. */
  clear(): void;
}

/**
 * `INSERT` of several rows per statement: a read model writes most of its rows this way, and one
 * statement per row cost more than the row itself. Rows are queued in the caller's transaction,
 * so nothing may read the table between `add` and `flush` expecting to see them.
 */
export function createBufferedInsert(db: Database, head: string, columns: number): BufferedInsert {
  const statementOf = (rows: number) => {
    const row = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
    return db.prepare(`${head} VALUES ${Array.from({ length: rows }, () => row).join(', ')}`);
  };
  const one = statementOf(1);
  const many = statementOf(ROWS_PER_STATEMENT);
  const values: unknown[] = [];
  return {
    add(row) {
      for (const value of row) values.push(value);
      if (values.length === columns * ROWS_PER_STATEMENT) {
        many.run(values);
        values.length = 0;
      }
    },
    flush() {
      for (let at = 0; at < values.length; at += columns) one.run(values.slice(at, at + columns));
      values.length = 0;
    },
    clear() {
      values.length = 0;
    },
  };
}
