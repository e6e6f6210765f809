import { EventStoreError } from '../errors.js';

/** The schema the tables live in when the URL names none. */
export const DEFAULT_SCHEMA = 'ecl';

// A plain lower-case identifier: it is quoted anyway, but a name that needs no quoting is one
// people can type in psql.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresStoreUrl {
  /** The connection string handed to `pg` (the URL without ECL's own `schema` parameter). */
  connectionString: string;
  /** The schema holding ECL's tables. */
  schema: string;
  /** The URL with its password masked (user-info and `password=`): safe for logs and messages. */
  redacted: string;
}

/** Masks the password of a postgres URL, wherever it is written; works on strings `URL` cannot parse too. */
export function redactPostgresUrl(url: string): string {
  return url.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@').replace(/([?&]password=)[^&]*/gi, '$1***');
}

/**
 * Checks a `postgres://` or `postgresql://` URL. Everything but `schema` (default `ecl`) passes
 * through to `pg`, which reads the usual libpq parameters (`sslmode`, `application_name`, …).
 */
export function parsePostgresUrl(url: string): PostgresStoreUrl {
  const redacted = redactPostgresUrl(url);
  const invalid = (reason: string) => new EventStoreError('INVALID_STORE_URL', `Cannot open event store "${redacted}": ${reason}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('not a valid URL; use postgres://user:password@host:5432/database');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw invalid('not a postgres:// or postgresql:// URL');
  }
  const schema = parsed.searchParams.get('schema') ?? DEFAULT_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) {
    throw invalid(`schema "${schema}" must be a lower-case identifier (letters, digits, _; at most 63 characters)`);
  }
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), schema, redacted };
}
