import type pg from 'pg';
import { applyLeaseSync, workerRecordKeepMs } from '../leaseRules.js';
import type { LeaseState, LeaseTable, PartitionLease, WorkerRecord } from '../types.js';
import { advisoryLockKey, quoteIdentifier } from './schema.js';

type LeaseRow = [number, string | null, number, number];
type WorkerRow = [string, string, number, string, number, number, string];

/** The lease table's statements in `schema` (tables of migration v2, schema.ts). */
function leaseSql(schema: string) {
  const s = quoteIdentifier(schema);
  return {
    prepared: `ecl_${schema}_lease_`,
    // Every change to the table runs under this transaction-scoped lock, so heartbeats are
    // serialized (a few round trips each, once per TTL/4 per worker): no lost update, no two
    // workers inserting the same missing partition, no lock-order deadlock between syncs.
    beginAndLock: `BEGIN; SELECT pg_advisory_xact_lock(${advisoryLockKey(`ecl:leases:${schema}`)})`,
    // The worker's own row and the pruned or evicted ones are different rows: one statement is safe.
    saveWorker:
      `WITH gone AS (DELETE FROM ${s}.lease_workers WHERE id <> $1 AND (last_seen < $8 OR id = ANY ($9::text[]))) ` +
      `INSERT INTO ${s}.lease_workers (id, role, pid, host, started_at, last_seen, info) VALUES ($1, $2, $3, $4, $5, $6, $7) ` +
      `ON CONFLICT (id) DO UPDATE SET role = EXCLUDED.role, last_seen = EXCLUDED.last_seen, info = EXCLUDED.info`,
    // The whole table in one statement, hence one snapshot.
    state:
      `SELECT (SELECT value FROM ${s}.cluster_settings WHERE key = 'partitions') AS partitions, ` +
      `(SELECT coalesce(json_agg(json_build_array(partition, owner, epoch, expires_at) ORDER BY partition), '[]') FROM ${s}.leases) AS leases, ` +
      `(SELECT coalesce(json_agg(json_build_array(id, role, pid, host, started_at, last_seen, info) ORDER BY started_at, id), '[]') ` +
      `FROM ${s}.lease_workers) AS workers`,
    writeLeases:
      `INSERT INTO ${s}.leases (partition, owner, epoch, expires_at) ` +
      `SELECT * FROM unnest($1::integer[], $2::text[], $3::integer[], $4::bigint[]) ` +
      `ON CONFLICT (partition) DO UPDATE SET owner = EXCLUDED.owner, epoch = EXCLUDED.epoch, expires_at = EXCLUDED.expires_at`,
    // Frees its leases keeping their epochs, and removes its record.
    leave: `WITH freed AS (UPDATE ${s}.leases SET owner = NULL, expires_at = 0 WHERE owner = $1) DELETE FROM ${s}.lease_workers WHERE id = $1`,
    proposePartitions: `INSERT INTO ${s}.cluster_settings (key, value) VALUES ('partitions', $1) ON CONFLICT (key) DO NOTHING`,
    partitions: `SELECT value FROM ${s}.cluster_settings WHERE key = 'partitions'`,
  };
}

interface StateRow {
  partitions: string | null;
  leases: LeaseRow[];
  workers: WorkerRow[];
}

const toState = (row: StateRow | undefined): LeaseState => ({
  partitions: Number(row?.partitions ?? 0),
  leases: (row?.leases ?? []).map(([partition, owner, epoch, expiresAt]) => ({ partition, owner, epoch, expiresAt: Number(expiresAt) })),
  workers: (row?.workers ?? []).map(([id, role, pid, host, startedAt, lastSeen, info]): WorkerRecord => ({
    id,
    role: role === 'client' ? 'client' : 'worker',
    pid,
    host,
    startedAt: Number(startedAt),
    lastSeen: Number(lastSeen),
    info: JSON.parse(info) as WorkerRecord['info'],
  })),
});

/**
 * The lease table of a PostgreSQL store, in the store's own schema (so an append's fence is
 * checked in the append's transaction: writeGroup.ts). Each call is one transaction running the
 * rules every adapter shares (`leaseRules.ts`). `run` wraps each call: it translates `pg`'s
 * errors, tries a lost connection again, and refuses calls once the store is closed. Trying a
 * sync again is safe even if the first attempt committed: taking or renewing one's own lease
 * only extends it, and releasing touches only one's own.
 */
export function createPostgresLeases(pool: pg.Pool, schema: string, run: <T>(doing: string, work: () => Promise<T>) => Promise<T>): LeaseTable {
  const sql = leaseSql(schema);
  const statement = (name: string, text: string, values: unknown[]): pg.QueryConfig => ({ name: `${sql.prepared}${name}`, text, values });

  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    // See writeGroup.ts: an unheard 'error' of a checked-out client would crash the process.
    const ignore = () => undefined;
    client.on('error', ignore);
    let broken: unknown;
    try {
      await client.query(sql.beginAndLock);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken = error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', ignore);
      client.release(broken !== undefined);
    }
  };
  const readState = async (client: pg.ClientBase | pg.Pool): Promise<LeaseState> =>
    toState((await client.query<StateRow>(statement('state', sql.state, []))).rows[0]);

  return {
    partitions: (proposed) =>
      run('recording the partition count', () =>
        transaction(async (client) => {
          await client.query(statement('propose', sql.proposePartitions, [String(proposed)]));
          return Number((await client.query<{ value: string }>(statement('partitions', sql.partitions, []))).rows[0]!.value);
        }),
      ),

    sync: (request) =>
      run('renewing leases', () =>
        transaction(async (client) => {
          const { worker } = request;
          const cutoff = request.now - workerRecordKeepMs(request.ttlMs);
          await client.query(
            statement('save_worker', sql.saveWorker, [
              worker.id,
              worker.role,
              worker.pid,
              worker.host,
              worker.startedAt,
              request.now,
              JSON.stringify(worker.info),
              cutoff,
              request.evict ?? [],
            ]),
          );
          const before = await readState(client);
          const current = new Map(before.leases.map((lease) => [lease.partition, lease]));
          const changed = applyLeaseSync((partition) => current.get(partition), request);
          if (changed.length === 0) return before;
          await client.query(
            statement('write_leases', sql.writeLeases, [
              changed.map((lease) => lease.partition),
              changed.map((lease) => lease.owner),
              changed.map((lease) => lease.epoch),
              changed.map((lease) => lease.expiresAt),
            ]),
          );
          for (const lease of changed) current.set(lease.partition, lease);
          const leases: PartitionLease[] = [...current.values()].sort((a, b) => a.partition - b.partition);
          return { ...before, leases };
        }),
      ),

    leave: (workerId) =>
      run('releasing leases', () =>
        transaction(async (client) => {
          await client.query(statement('leave', sql.leave, [workerId]));
        }),
      ),

    read: () => run('reading leases', () => readState(pool)),
  };
}
