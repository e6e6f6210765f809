import type { Statement } from 'better-sqlite3';
import type { ProjectionDatabase } from './projectionDatabase.js';

/**
 * Reads the read-model tables, wherever they are: the queries (status, lists, audit, metrics) are
 * written once, in SQL both SQLite and PostgreSQL run — `?` placeholders, double-quoted aliases,
 * integers and sums returned as numbers.
 */
export interface ReadModelSql {
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

// Past this many distinct statements (the blocked-status filter varies with the registrations) the cache starts over.
const MAX_CACHED_STATEMENTS = 200;

/** The read models of a SQLite file; statements are prepared once each. */
export function sqliteReadModelSql(db: ProjectionDatabase): ReadModelSql {
  const statements = new Map<string, Statement>();
  return {
    async all<T>(sql: string, params: readonly unknown[] = []) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        if (statements.size >= MAX_CACHED_STATEMENTS) statements.clear();
        statement = db.prepare(sql);
        statements.set(sql, statement);
      }
      return statement.all(...params) as T[];
    },
  };
}
