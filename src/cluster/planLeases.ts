import type { LeaseState } from '../eventstore/index.js';
import { isHeld, isLive } from './liveness.js';

/** What one node knows before a heartbeat. */
export interface LeasePlanInput {
  me: string;
  role: 'worker' | 'client';
  now: number;
  ttlMs: number;
  partitions: number;
  /** The table as the last heartbeat returned it. */
  state: LeaseState;
  /** A client's partitions: those of the workflows it was asked to run. */
  wanted?: ReadonlySet<number>;
  /** Steps in flight per partition: a worker that must give partitions back gives the idle ones first. */
  busy?: ReadonlyMap<number, number>;
  /** Workers known dead before their TTL (a process of this machine that is gone): not counted, their leases free. */
  gone?: ReadonlySet<string>;
}

export interface LeasePlan {
  renew: number[];
  acquire: number[];
  release: number[];
}

/**
 * One heartbeat's plan (pure; the store's sync decides atomically whether each take succeeds).
 *
 * A worker aims at its fair share, ceil(partitions / live workers): it takes free or expired
 * partitions up to it, and gives back what it holds beyond it (idle partitions first, so a
 * rebalance rarely interrupts a model call). A client (`ecl run`, `ecl send`) takes the
 * partitions of its own workflows only when no worker is alive — workers drive everything when
 * there are some — and gives each back once it no longer needs it.
 */
export function planLeases(input: LeasePlanInput): LeasePlan {
  const { me, now, partitions, state } = input;
  const gone = input.gone ?? new Set<string>();
  const mine = state.leases.filter((lease) => lease.owner === me && isHeld(lease, now)).map((lease) => lease.partition);
  const taken = new Set(state.leases.filter((lease) => isHeld(lease, now) && !gone.has(lease.owner as string)).map((lease) => lease.partition));
  const liveWorkers = new Set(
    state.workers.filter((worker) => worker.role === 'worker' && isLive(worker, now, input.ttlMs) && !gone.has(worker.id)).map((worker) => worker.id),
  );
  if (input.role === 'client') {
    const wanted = input.wanted ?? new Set<number>();
    liveWorkers.delete(me);
    return {
      renew: mine.filter((partition) => wanted.has(partition)),
      acquire: liveWorkers.size > 0 ? [] : [...wanted].filter((partition) => !taken.has(partition)),
      release: mine.filter((partition) => !wanted.has(partition)),
    };
  }
  liveWorkers.add(me);
  const share = Math.ceil(partitions / liveWorkers.size);
  if (mine.length > share) {
    const busy = input.busy ?? new Map<number, number>();
    const byIdleness = [...mine].sort((a, b) => (busy.get(a) ?? 0) - (busy.get(b) ?? 0) || b - a);
    const release = byIdleness.slice(0, mine.length - share);
    return { renew: mine.filter((partition) => !release.includes(partition)), acquire: [], release };
  }
  // Workers start looking at different places, so two joining at once mostly ask for different partitions.
  const offset = startOf(me, partitions);
  const acquire: number[] = [];
  for (let index = 0; index < partitions && acquire.length < share - mine.length; index++) {
    const partition = (offset + index) % partitions;
    if (!taken.has(partition)) acquire.push(partition);
  }
  return { renew: mine, acquire, release: [] };
}

const startOf = (id: string, partitions: number): number => {
  let sum = 0;
  for (let index = 0; index < id.length; index++) sum = (sum * 31 + id.charCodeAt(index)) % partitions;
  return sum;
};
