import type { LeaseTable } from '../eventstore/index.js';
import { heldBy, isHeld, isLive, ttlOf } from './liveness.js';

/** One worker as `ecl workers` and `GET /v1/workers` show it. */
export interface WorkerStatus {
  id: string;
  role: 'worker' | 'client';
  pid: number;
  host: string;
  startedAt: string;
  lastSeen: string;
  live: boolean;
  /** Lease TTL it runs with (ms). */
  ttlMs: number;
  /** Partitions it holds now. */
  partitions: number[];
  /** How far its log follower was behind the head at its last heartbeat, in log positions. */
  lag: number;
  /** Workflows live in its memory, and those with a step in flight, at its last heartbeat. */
  liveWorkflows: number;
  inFlight: number;
  /** What else it published (e.g. its API URL). */
  url?: string;
}

export interface ClusterStatus {
  partitions: number;
  workers: WorkerStatus[];
  /** Partitions nobody holds now (free or expired): their workflows wait for a worker. */
  unowned: number[];
}

/** The cluster as the store's lease table says, read at `now` (epoch ms). */
export async function describeCluster(leases: LeaseTable, now: number = Date.now(), fallbackTtlMs = 4_000): Promise<ClusterStatus> {
  const state = await leases.read();
  const held = heldBy(state, now);
  const heldNow = new Set(state.leases.filter((lease) => isHeld(lease, now)).map((lease) => lease.partition));
  const number = (value: unknown): number => (typeof value === 'number' ? value : 0);
  return {
    partitions: state.partitions,
    workers: state.workers.map((worker) => ({
      id: worker.id,
      role: worker.role,
      pid: worker.pid,
      host: worker.host,
      startedAt: new Date(worker.startedAt).toISOString(),
      lastSeen: new Date(worker.lastSeen).toISOString(),
      live: isLive(worker, now, fallbackTtlMs),
      ttlMs: ttlOf(worker, fallbackTtlMs),
      partitions: held.get(worker.id) ?? [],
      lag: number(worker.info.lag),
      liveWorkflows: number(worker.info.live),
      inFlight: number(worker.info.inFlight),
      ...(typeof worker.info.url === 'string' ? { url: worker.info.url } : {}),
    })),
    unowned: Array.from({ length: state.partitions }, (_, partition) => partition).filter((partition) => !heldNow.has(partition)),
  };
}
