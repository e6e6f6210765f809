import type { LeaseState, PartitionLease, WorkerRecord } from '../eventstore/index.js';

/** A worker's lease TTL as it published it (`info.ttlMs`), else the reader's own. */
export const ttlOf = (worker: WorkerRecord, fallbackMs: number): number => (typeof worker.info.ttlMs === 'number' ? worker.info.ttlMs : fallbackMs);

/** Alive: it heartbeat within its own TTL. */
export const isLive = (worker: WorkerRecord, now: number, fallbackTtlMs: number): boolean => now - worker.lastSeen < ttlOf(worker, fallbackTtlMs);

/** A lease someone holds now (not released, not expired). */
export const isHeld = (lease: PartitionLease, now: number): boolean => lease.owner !== null && lease.expiresAt > now;

/** The partitions each worker holds now. */
export function heldBy(state: LeaseState, now: number): Map<string, number[]> {
  const held = new Map<string, number[]>();
  for (const lease of state.leases) if (isHeld(lease, now)) held.set(lease.owner as string, [...(held.get(lease.owner as string) ?? []), lease.partition]);
  return held;
}
