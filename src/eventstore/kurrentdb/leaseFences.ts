import { performance } from 'node:perf_hooks';
import { leaseLostError } from '../errors.js';
import { fenceHolds, holderOf } from '../leaseRules.js';
import type { AppendFence, LeaseState, LeaseSync, PartitionLease } from '../types.js';

/** The clocks a worker judges its own leases by: wall time (epoch ms, as lease expiries) and a monotonic one. */
export interface LeaseClock {
  wall(): number;
  monotonic(): number;
}

/**
 * A worker stops appending for a partition this fraction of the TTL before its lease expires (by
 * its own clocks): the margin covers an append's trip to the server and the skew between the
 * workers' clocks. With heartbeats every TTL/4, a lease renewed on time never gets this close.
 */
export const FENCE_MARGIN_OF_TTL = 1 / 4;

export interface LeaseFences {
  /** Both clocks, read together (taken before a sync is sent). */
  now(): { wall: number; monotonic: number };
  /** The table as read or written at `revision`: an owner or epoch that moved on stops matching at once. */
  observe(revision: bigint, state: LeaseState): void;
  /** After a sync: the caller's leases are good until their expiry minus the margin, counted from `sent` (before the sync was sent). */
  granted(request: LeaseSync, state: LeaseState, revision: bigint | undefined, sent: { wall: number; monotonic: number }): void;
  /** Throws `LEASE_LOST` unless the fence matches the newest table seen and its lease has more than the margin left. */
  check(stream: string, fence: AppendFence): void;
}

interface Deadline {
  owner: string;
  epoch: number;
  /** Appends stop when the wall clock reaches this (expiry minus margin)… */
  wall: number;
  /** …or the monotonic clock reaches this, whichever comes first (a wall clock stepped back gains no time). */
  monotonic: number;
}

const systemClock: LeaseClock = { wall: Date.now, monotonic: () => performance.now() };

/**
 * Self-fencing for a store that cannot check a lease inside an append: what this process knows of
 * the lease table (the newest version it read or wrote) and, for the leases its syncs were
 * granted, the moment they stop being safe to use. A taker only takes a lease once it has expired
 * by the taker's clock, so an append sent before the owner's deadline reaches the server before
 * the lease can change hands — as long as it takes less than the margin to get there and the
 * clocks agree within it (docs/scaling.md, *KurrentDB*).
 */
export function createLeaseFences(clock: LeaseClock = systemClock): LeaseFences {
  let knownRevision = -1n;
  let known = new Map<number, PartitionLease>();
  const deadlines = new Map<number, Deadline>();
  const now = () => ({ wall: clock.wall(), monotonic: clock.monotonic() });
  const observe = (revision: bigint, state: LeaseState): void => {
    if (revision < knownRevision) return;
    knownRevision = revision;
    known = new Map(state.leases.map((lease) => [lease.partition, lease]));
  };

  return {
    now,
    observe,
    granted(request, state, revision, sent) {
      if (revision !== undefined) observe(revision, state);
      const me = request.worker.id;
      const margin = request.ttlMs * FENCE_MARGIN_OF_TTL;
      for (const [partition, deadline] of deadlines) if (deadline.owner === me) deadlines.delete(partition);
      for (const lease of state.leases) {
        if (lease.owner !== me) continue;
        deadlines.set(lease.partition, {
          owner: me,
          epoch: lease.epoch,
          wall: lease.expiresAt - margin,
          monotonic: sent.monotonic + (lease.expiresAt - sent.wall) - margin,
        });
      }
    },
    check(stream, fence) {
      const lease = known.get(fence.partition);
      if (!fenceHolds(lease, fence)) throw leaseLostError(stream, fence, holderOf(lease));
      const deadline = deadlines.get(fence.partition);
      const at = now();
      if (deadline === undefined || deadline.owner !== fence.owner || deadline.epoch !== fence.epoch)
        throw leaseLostError(stream, fence, `${holderOf(lease)}, but this process was not granted it`);
      if (at.wall >= deadline.wall || at.monotonic >= deadline.monotonic)
        throw leaseLostError(stream, fence, `${holderOf(lease)}, but too close to its expiry by this worker's clock to append safely`);
    },
  };
}
