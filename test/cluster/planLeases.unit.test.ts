import { describe, expect, it } from 'vitest';
import { createMemoryEventStore, type LeaseState, type LeaseTable } from '../../src/eventstore/index.js';
import { partitionOf, planLeases } from '../../src/cluster/index.js';

const P = 64;
const TTL = 1_000;

/** Runs heartbeats of several workers against one lease table on a simulated clock. */
function simulation(leases: LeaseTable) {
  let now = 0;
  const roles = new Map<string, 'worker' | 'client'>();
  const wanted = new Map<string, Set<number>>();
  const beat = async (id: string) => {
    // As the node does: plan on the table as it is now (the sync then decides each take atomically).
    const state = await leases.read();
    const role = roles.get(id) ?? 'worker';
    const plan = planLeases({ me: id, role, now, ttlMs: TTL, partitions: P, state, ...(wanted.has(id) ? { wanted: wanted.get(id)! } : {}) });
    await leases.sync({ worker: { id, role, pid: 1, host: 'h', startedAt: 0, lastSeen: now, info: {} }, now, ttlMs: TTL, ...plan });
  };
  return {
    roles,
    wanted,
    beat,
    advance: (ms: number) => (now += ms),
    /** Every live id beats once per TTL/4 for `rounds` rounds. */
    async rounds(ids: string[], rounds: number) {
      for (let round = 0; round < rounds; round++) {
        for (const id of ids) await beat(id);
        now += TTL / 4;
      }
    },
    async held() {
      const held = new Map<string, number>();
      for (const lease of (await leases.read()).leases)
        if (lease.owner !== null && lease.expiresAt > now) held.set(lease.owner, (held.get(lease.owner) ?? 0) + 1);
      return Object.fromEntries([...held].sort());
    },
  };
}

describe('balancing leases (simulated clock)', () => {
  it('one worker takes every partition; a second and a third get their fair share; a dead one’s share moves after the TTL', async () => {
    const sim = simulation(createMemoryEventStore().leases!);
    await sim.rounds(['a'], 1);
    expect(await sim.held()).toEqual({ a: 64 });
    await sim.rounds(['a', 'b'], 3);
    expect(await sim.held()).toEqual({ a: 32, b: 32 });
    await sim.rounds(['a', 'b', 'c'], 3);
    const three = await sim.held();
    expect(Object.values(three).reduce((sum, count) => sum + count, 0)).toBe(64);
    expect(Math.max(...Object.values(three))).toBeLessThanOrEqual(Math.ceil(64 / 3));
    // c stops heartbeating: within one TTL plus a beat, a and b hold everything again.
    await sim.rounds(['a', 'b'], 5);
    expect(await sim.held()).toEqual({ a: 32, b: 32 });
  });

  it('a worker giving partitions back gives idle ones first', () => {
    const leases = Array.from({ length: 4 }, (_, partition) => ({ partition, owner: 'a', epoch: 1, expiresAt: 10_000 }));
    const state: LeaseState = {
      partitions: 4,
      leases,
      workers: ['a', 'b'].map((id) => ({ id, role: 'worker' as const, pid: 1, host: 'h', startedAt: 0, lastSeen: 0, info: {} })),
    };
    const plan = planLeases({
      me: 'a',
      role: 'worker',
      now: 0,
      ttlMs: TTL,
      partitions: 4,
      state,
      busy: new Map([
        [3, 1],
        [2, 2],
      ]),
    });
    expect(plan.release.sort()).toEqual([0, 1]);
    expect(plan.renew.sort()).toEqual([2, 3]);
  });

  it('a client takes only its own partitions, only when no worker is alive, and gives them back when done', async () => {
    const sim = simulation(createMemoryEventStore().leases!);
    sim.roles.set('run1', 'client');
    sim.roles.set('run2', 'client');
    const p = partitionOf('X', P);
    sim.wanted.set('run1', new Set([p]));
    sim.wanted.set('run2', new Set([p]));
    await sim.beat('run1');
    await sim.beat('run2');
    expect(await sim.held()).toEqual({ run1: 1 });
    sim.wanted.set('run1', new Set());
    await sim.beat('run1');
    await sim.beat('run2');
    expect(await sim.held()).toEqual({ run2: 1 });
    // With a worker alive, a client takes nothing new.
    await sim.beat('w');
    sim.wanted.set('run1', new Set([partitionOf('Y', P)]));
    await sim.beat('run1');
    expect((await sim.held()).run1).toBeUndefined();
  });

  it('spreads workflow ids evenly over the partitions', () => {
    const counts = new Array<number>(P).fill(0);
    for (let index = 0; index < 64_000; index++) counts[partitionOf(`wf-${index}`, P)]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1_200);
  });
});
