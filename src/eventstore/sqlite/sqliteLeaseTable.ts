import type { Database } from 'better-sqlite3';
import { applyLeaseSync, workerRecordKeepMs } from '../leaseRules.js';
import type { LeaseState, LeaseTable, PartitionLease, WorkerRecord } from '../types.js';

/**
 * The lease tables live in the event file itself (created if missing; they change no event and
 * no schema version, so an older ECL still opens the file), which is what lets an append check its
 * fence in its own transaction.
 */
export const LEASE_TABLES = `
  CREATE TABLE IF NOT EXISTS cluster_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS leases (
    partition  INTEGER PRIMARY KEY,
    owner      TEXT,
    epoch      INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS lease_workers (
    id         TEXT PRIMARY KEY,
    role       TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    host       TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    info       TEXT NOT NULL
  );`;

type LeaseRow = [number, string | null, number, number];
type WorkerRow = [string, string, number, string, number, number, string];

export interface SqliteLeases {
  table: LeaseTable;
  /** The partition's lease as committed (or as written earlier in the caller's transaction). */
  leaseOf(partition: number): PartitionLease | undefined;
}

/** `run` wraps each call: it turns driver errors into the port's and refuses calls once the store is closed. */
export function createSqliteLeases(db: Database, run: <T>(doing: string, work: () => T) => Promise<T>): SqliteLeases {
  const one = db.prepare<[number], LeaseRow>('SELECT partition, owner, epoch, expires_at FROM leases WHERE partition = ?').raw(true);
  const all = db.prepare<[], LeaseRow>('SELECT partition, owner, epoch, expires_at FROM leases ORDER BY partition').raw(true);
  const upsert = db.prepare(
    'INSERT INTO leases (partition, owner, epoch, expires_at) VALUES (?, ?, ?, ?) ' +
      'ON CONFLICT (partition) DO UPDATE SET owner = excluded.owner, epoch = excluded.epoch, expires_at = excluded.expires_at',
  );
  const workers = db.prepare<[], WorkerRow>('SELECT id, role, pid, host, started_at, last_seen, info FROM lease_workers ORDER BY started_at, id').raw(true);
  const saveWorker = db.prepare(
    'INSERT INTO lease_workers (id, role, pid, host, started_at, last_seen, info) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
      'ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, info = excluded.info, role = excluded.role',
  );
  const prune = db.prepare<[number]>('DELETE FROM lease_workers WHERE last_seen < ?');
  const removeWorker = db.prepare<[string]>('DELETE FROM lease_workers WHERE id = ?');
  const freeAll = db.prepare<[string]>('UPDATE leases SET owner = NULL, expires_at = 0 WHERE owner = ?');
  const setting = db.prepare<[string], string>('SELECT value FROM cluster_settings WHERE key = ?').pluck();
  const initSetting = db.prepare<[string, string]>('INSERT OR IGNORE INTO cluster_settings (key, value) VALUES (?, ?)');

  const leaseOf = (partition: number): PartitionLease | undefined => {
    const row = one.get(partition);
    return row === undefined ? undefined : { partition: row[0], owner: row[1], epoch: row[2], expiresAt: row[3] };
  };
  const state = (): LeaseState => ({
    partitions: Number(setting.get('partitions') ?? 0),
    leases: all.all().map(([partition, owner, epoch, expiresAt]) => ({ partition, owner, epoch, expiresAt })),
    workers: workers.all().map(([id, role, pid, host, startedAt, lastSeen, info]): WorkerRecord => ({
      id,
      role: role === 'client' ? 'client' : 'worker',
      pid,
      host,
      startedAt,
      lastSeen,
      info: JSON.parse(info) as WorkerRecord['info'],
    })),
  });

  const partitions = db.transaction((proposed: number): number => {
    initSetting.run('partitions', String(proposed));
    return Number(setting.get('partitions'));
  });
  const sync = db.transaction((request: Parameters<LeaseTable['sync']>[0]): LeaseState => {
    const { worker } = request;
    saveWorker.run(worker.id, worker.role, worker.pid, worker.host, worker.startedAt, request.now, JSON.stringify(worker.info));
    prune.run(request.now - workerRecordKeepMs(request.ttlMs));
    for (const gone of request.evict ?? []) if (gone !== worker.id) removeWorker.run(gone);
    for (const lease of applyLeaseSync(leaseOf, request)) upsert.run(lease.partition, lease.owner, lease.epoch, lease.expiresAt);
    return state();
  });
  const leave = db.transaction((workerId: string) => {
    freeAll.run(workerId);
    removeWorker.run(workerId);
  });

  return {
    leaseOf,
    table: {
      partitions: (proposed) => run('recording the partition count', () => partitions.immediate(proposed)),
      sync: (request) => run('renewing leases', () => sync.immediate(request)),
      leave: (workerId) => run('releasing leases', () => leave.immediate(workerId)),
      read: () => run('reading leases', state),
    },
  };
}
