import type { AppendFence, LeaseSync, PartitionLease, WorkerRecord } from './types.js';

/** A worker's record is kept this long after its last heartbeat (for `ecl workers`), then pruned. */
export const workerRecordKeepMs = (ttlMs: number): number => Math.max(60_000, 10 * ttlMs);

/**
 * The worker records after a heartbeat, for adapters that keep them as values (memory, KurrentDB):
 * the caller's own, seen now, and the others that are neither evicted nor past `workerRecordKeepMs`.
 * (SQLite and PostgreSQL run the same rule as statements.)
 */
export function workersAfterSync(workers: Iterable<WorkerRecord>, request: LeaseSync): WorkerRecord[] {
  const keepAfter = request.now - workerRecordKeepMs(request.ttlMs);
  const evicted = new Set(request.evict ?? []);
  const kept = [...workers].filter((worker) => worker.id !== request.worker.id && worker.lastSeen >= keepAfter && !evicted.has(worker.id));
  return [...kept, { ...request.worker, lastSeen: request.now }];
}

/**
 * The rules of a heartbeat, shared by every adapter that keeps leases (each runs them inside one
 * transaction): returns the leases that change. A partition is taken when it has no lease, was
 * released, has expired, or is already the caller's; taking it from anyone else (or from nobody)
 * bumps its epoch, so the previous holder's fence stops matching. Renewing or releasing only
 * touches the caller's own leases; a released lease keeps its epoch.
 */
export function applyLeaseSync(current: (partition: number) => PartitionLease | undefined, request: LeaseSync): PartitionLease[] {
  const me = request.worker.id;
  const expiresAt = request.now + request.ttlMs;
  const changed = new Map<number, PartitionLease>();
  const leaseOf = (partition: number) => changed.get(partition) ?? current(partition);
  const evicted = new Set(request.evict ?? []);
  evicted.delete(me);
  for (const partition of request.release) {
    const lease = leaseOf(partition);
    if (lease?.owner === me) changed.set(partition, { partition, owner: null, epoch: lease.epoch, expiresAt: 0 });
  }
  for (const partition of request.renew) {
    const lease = leaseOf(partition);
    if (lease?.owner === me && !request.release.includes(partition)) changed.set(partition, { ...lease, expiresAt });
  }
  for (const partition of request.acquire) {
    const lease = leaseOf(partition);
    if (lease?.owner === me) changed.set(partition, { ...lease, expiresAt });
    else if (lease === undefined || lease.owner === null || lease.expiresAt <= request.now || evicted.has(lease.owner))
      changed.set(partition, { partition, owner: me, epoch: (lease?.epoch ?? 0) + 1, expiresAt });
  }
  return [...changed.values()];
}

/** Whether an append's fence still matches the partition's lease (owner and epoch; expiry is the workers' business). */
export const fenceHolds = (lease: Pick<PartitionLease, 'owner' | 'epoch'> | undefined, fence: AppendFence): boolean =>
  lease !== undefined && lease.owner === fence.owner && lease.epoch === fence.epoch;

/** Who holds a lease now, for an error message. */
export const holderOf = (lease: Pick<PartitionLease, 'owner' | 'epoch'> | undefined): string =>
  lease === undefined || lease.owner === null ? 'free' : `held by ${lease.owner} (epoch ${lease.epoch})`;
