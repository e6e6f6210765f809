import { expect, it } from 'vitest';
import { partitionOf } from '../../src/cluster/index.js';
import { createMemoryEventStore, type AppendFence } from '../../src/eventstore/index.js';
import { briefInput, createHarness } from '../actors/support/harness.js';

it('a start whose partition another worker took meanwhile is recorded unfenced, once, and left for the new owner to drive', async () => {
  const store = createMemoryEventStore();
  const id = 'moved-1';
  const partition = partitionOf(id, await store.leases!.partitions(64));
  // Worker b holds the partition; this engine still hands out the fence of its own, older grant.
  await store.leases!.sync({
    worker: { id: 'b', role: 'worker', pid: process.pid, host: 'test', startedAt: Date.now(), lastSeen: Date.now(), info: {} },
    now: Date.now(),
    ttlMs: 60_000,
    renew: [],
    acquire: [partition],
    release: [],
  });
  const stale: AppendFence = { partition, owner: 'a', epoch: 0 };
  const lost: AppendFence[] = [];
  const { engine, events } = createHarness({
    store,
    engine: { ownership: { fenceFor: () => (lost.length === 0 ? stale : undefined), lost: (fence) => void lost.push(fence) } },
  });

  const started = await engine.start('brief', briefInput(), { id });
  expect(started.created).toBe(true);
  expect(lost).toEqual([stale]);
  // Recorded as a command any node may record: the start only, no step (the owner, b, starts them).
  expect((await events(id)).map((event) => event.type)).toEqual(['WorkflowStarted']);
  expect((await engine.start('brief', briefInput(), { id })).created).toBe(false);
  await engine.close();
});
