import { afterEach, describe, expect, it } from 'vitest';
import { workflowStream, type EventStore } from '../../../src/eventstore/index.js';
import { createScriptedProvider } from '../../../src/llm/index.js';
import { partitionOf } from '../../../src/cluster/index.js';
import { recording, briefInput } from '../../actors/support/harness.js';
import { joinMember, until, type Member } from '../support.js';

/**
 * A shared store for one scenario: `storeForNode()` gives each engine its view of it — the same
 * instance (memory), or a store of its own on the same database, as separate processes would have.
 */
export interface SharedBacking {
  storeForNode(): Promise<EventStore>;
  close(): Promise<void>;
}

const held = (holdMs: number) =>
  recording(
    createScriptedProvider({
      script: { steps: { extract: [{ iteration: 1, attempt: 1, text: 'facts', holdMs }] }, fallback: 'offline' },
      env: {},
      now: () => 0,
    }),
  );

const startsOf = async (store: EventStore, id: string) =>
  (await store.readStream(workflowStream(id)))
    .filter((record) => record.type === 'StepStarted')
    .map((record) => `${(record.data as { step: string }).step}#${(record.data as { attempt: number }).attempt}`);

/**
 * Engines sharing one store that keeps leases: one driver per workflow, balance and takeover.
 * `ttlScale` lengthens the scenarios' lease TTLs (300-400 ms) for a store whose workers fence
 * themselves by their clock (KurrentDB: a heartbeat late by half a TTL already stops appends),
 * so a loaded test machine does not make them drop their own leases.
 */
export function sharedStoreScenarios(name: string, newBacking: (scenario: string) => Promise<SharedBacking>, options: { ttlScale?: number } = {}): void {
  const ttl = (ms: number) => ms * (options.ttlScale ?? 1);
  describe(`engines sharing one store (${name})`, () => {
    const members: Member[] = [];
    const backings: SharedBacking[] = [];
    afterEach(async () => {
      for (const member of members.splice(0)) await member.close();
      for (const backing of backings.splice(0)) await backing.close();
    });
    const backingFor = async (scenario: string) => {
      const backing = await newBacking(scenario);
      backings.push(backing);
      return backing;
    };

    it('a start sent to both nodes while the owner calls the model runs the call once, with one StepStarted', async () => {
      const backing = await backingFor('once');
      const llm = held(300);
      const a = await joinMember(await backing.storeForNode(), llm, { id: 'a', ttlMs: ttl(400) });
      members.push(a);
      const store = await backing.storeForNode();
      const b = await joinMember(store, llm, { id: 'b', ttlMs: ttl(400) });
      members.push(b);
      expect(a.node.summary().held).toHaveLength(64);
      expect(b.node.summary().held).toHaveLength(0);
      // b does not own the workflow: it records the start, the owner (a) runs the step.
      const first = await b.engine.start('brief', briefInput(), { id: 'w1' });
      expect(first.created).toBe(true);
      await until(() => llm.calls.some((call) => call.step === 'extract'), 'the extract call');
      const again = await Promise.all([a.engine.start('brief', briefInput(), { id: 'w1' }), b.engine.start('brief', briefInput(), { id: 'w1' })]);
      expect(again.map((result) => result.created)).toEqual([false, false]);
      expect((await b.engine.settled('w1')).status).toBe('completed');
      expect(llm.calls.filter((call) => call.step === 'extract')).toHaveLength(1);
      expect((await startsOf(store, 'w1')).filter((start) => start.startsWith('extract'))).toEqual(['extract#1']);
    });

    it('balances partitions when a worker joins, and takes a dead worker’s partitions over after the TTL', async () => {
      const backing = await backingFor('failover');
      const llm = held(5_000);
      const a = await joinMember(await backing.storeForNode(), llm, { id: 'a', ttlMs: ttl(300) });
      members.push(a);
      const store = await backing.storeForNode();
      const b = await joinMember(store, llm, { id: 'b', ttlMs: ttl(300) });
      members.push(b);
      await until(() => a.node.summary().held.length === 32 && b.node.summary().held.length === 32, 'an even split');
      // A workflow owned by a, interrupted: a stops heartbeating without leaving (as if killed).
      const id = Array.from({ length: 200 }, (_, index) => `w${index}`).find((candidate) => a.node.summary().held.includes(partitionOf(candidate, 64)))!;
      await a.engine.start('brief', briefInput(), { id });
      await until(() => llm.calls.some((call) => call.step === 'extract'), 'the extract call');
      members.splice(members.indexOf(a), 1);
      // As if killed: its calls stop with it (no outcome recorded), its leases stay until they expire.
      await a.engine.release(() => true);
      await a.node.close({ leave: false });
      await until(() => b.node.summary().held.length === 64, 'the takeover', 5_000);
      expect((await b.engine.settled(id)).status).toBe('completed');
      expect((await startsOf(store, id)).filter((start) => start.startsWith('extract'))).toEqual(['extract#1', 'extract#2']);
      await a.engine.close();
    });

    it('the leases of a worker another node evicted are taken by the survivors at once, not after its TTL', async () => {
      const backing = await backingFor('evicted');
      const leases = (await backing.storeForNode()).leases!;
      const workerRecord = (id: string, role: 'worker' | 'client') => ({
        id,
        role,
        pid: process.pid,
        host: 'test',
        startedAt: Date.now(),
        lastSeen: Date.now(),
        info: {},
      });
      const sync = (id: string, role: 'worker' | 'client', extra: { acquire?: number[]; evict?: string[]; ttlMs: number }) =>
        leases.sync({
          worker: workerRecord(id, role),
          now: Date.now(),
          renew: [],
          release: [],
          acquire: extra.acquire ?? [],
          ttlMs: extra.ttlMs,
          evict: extra.evict ?? [],
        });
      await leases.partitions(64);
      // A worker c holds 21 partitions for a minute, then dies without leaving.
      await sync('c', 'worker', { acquire: Array.from({ length: 21 }, (_, partition) => partition), ttlMs: 60_000 });
      const llm = held(0);
      const a = await joinMember(await backing.storeForNode(), llm, { id: 'a', ttlMs: ttl(400) });
      members.push(a);
      const b = await joinMember(await backing.storeForNode(), llm, { id: 'b', ttlMs: ttl(400) });
      members.push(b);
      await until(() => a.node.summary().held.length + b.node.summary().held.length === 43, 'a and b to take the free partitions');
      // A node of c's machine sees its process gone and evicts it (taking none of its partitions itself).
      const after = await sync('evictor', 'client', { evict: ['c'], ttlMs: ttl(400) });
      expect(after.workers.map((worker) => worker.id)).not.toContain('c');
      expect(after.leases.filter((lease) => lease.owner === 'c')).toHaveLength(21);
      // Well before c's leases expire, a and b take them: a lease whose owner has no record is free.
      await until(() => a.node.summary().held.length + b.node.summary().held.length === 64, 'a and b to take every partition', 20_000);
    });
  });
}
