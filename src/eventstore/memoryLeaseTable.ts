import { applyLeaseSync, workersAfterSync } from './leaseRules.js';
import type { LeaseState, LeaseTable, PartitionLease, WorkerRecord } from './types.js';

/** The memory store's lease table, and the lookup its appends check fences with. */
export interface MemoryLeases {
  table: LeaseTable;
  leaseOf(partition: number): PartitionLease | undefined;
}

/** Leases for engines sharing one in-process store (tests, several engines in one process); same rules as SQLite's. */
export function createMemoryLeases(): MemoryLeases {
  const leases = new Map<number, PartitionLease>();
  const workers = new Map<string, WorkerRecord>();
  let partitions: number | undefined;
  const clone = <T extends object>(value: T): T => structuredClone(value);
  const state = (): LeaseState => ({
    partitions: partitions ?? 0,
    leases: [...leases.values()].sort((a, b) => a.partition - b.partition).map(clone),
    workers: [...workers.values()].map(clone),
  });
  return {
    leaseOf: (partition) => leases.get(partition),
    table: {
      async partitions(proposed) {
        partitions ??= proposed;
        return partitions;
      },
      async sync(request) {
        const kept = workersAfterSync(workers.values(), request);
        workers.clear();
        for (const worker of kept) workers.set(worker.id, clone(worker));
        for (const lease of applyLeaseSync((partition) => leases.get(partition), request)) leases.set(lease.partition, lease);
        return state();
      },
      async leave(workerId) {
        workers.delete(workerId);
        for (const lease of leases.values()) if (lease.owner === workerId) leases.set(lease.partition, { ...lease, owner: null, expiresAt: 0 });
      },
      async read() {
        return state();
      },
    },
  };
}
