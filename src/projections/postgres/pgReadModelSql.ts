import pg from 'pg';
import { toStoreError } from '../../eventstore/postgres/index.js';
import type { ReadModelSql } from '../readModelSql.js';

const INT8 = 20;
const NUMERIC = 1700;
const toNumber = (text: string): number => Number(text);

/**
 * Type parsers of the read models' connections: counts, sums and bigint columns come back as
 * numbers, as SQLite returns them (positions, token counts and epoch milliseconds stay far below
 * 2^53). Checkpoint positions are read as text and turned into bigint where exactness matters.
 */
export const readModelTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 || oid === NUMERIC ? toNumber : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** `?` placeholders (the queries' portable form) as PostgreSQL's `$1`, `$2`, … */
const numbered = (sql: string): string => {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
};

/** The read models in PostgreSQL, read through `pool`; errors are the store's (`STORE_UNAVAILABLE`). */
export function pgReadModelSql(pool: pg.Pool, where: string): ReadModelSql {
  const texts = new Map<string, string>();
  return {
    async all<T>(sql: string, params: readonly unknown[] = []) {
      let text = texts.get(sql);
      if (text === undefined) texts.set(sql, (text = numbered(sql)));
      if (texts.size > 200) texts.clear();
      try {
        return (await pool.query({ text, values: [...params] })).rows as T[];
      } catch (error) {
        throw toStoreError(error, 'reading the read models', where);
      }
    },
  };
}
