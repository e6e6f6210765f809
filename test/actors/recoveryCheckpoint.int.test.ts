import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CHECKPOINT_WORTH_WRITING } from '../../src/actors/findActiveWorkflows.js';
import { RECOVERY_STREAM, readRecoveryCheckpoint } from '../../src/actors/recoveryCheckpoint.js';
import { type EventStore, type JsonValue, createMemoryEventStore, workflowStream } from '../../src/eventstore/index.js';
import { createRegistry, defineWorkflow } from '../../src/machines/index.js';
import { serial3 } from '../support/definitions.js';
import { createHarness } from './support/harness.js';

const napper = defineWorkflow({
  name: 'napper',
  version: 1,
  input: z.object({}),
  steps: [{ kind: 'sleep', name: 'nap', for: () => 24 * 3600_000 }],
});

const gated = defineWorkflow({
  name: 'gated',
  version: 1,
  input: z.object({}),
  steps: [
    { kind: 'produce', name: 'draft', run: async () => 'a draft' },
    { kind: 'approval', name: 'signoff' },
  ],
});

/** The memory store, counting the events its log reads return (what a recovery scan costs). */
function countingStore(): EventStore & { scanned: () => number } {
  const store = createMemoryEventStore();
  let scanned = 0;
  return Object.assign(Object.create(store) as EventStore, {
    readAll: async (options?: Parameters<EventStore['readAll']>[0]) => {
      const page = await store.readAll(options);
      scanned += page.length;
      return page;
    },
    scanned: () => {
      const count = scanned;
      scanned = 0;
      return count;
    },
  });
}

/** serial3 records 8 events: this many finished workflows make a scan worth a checkpoint. */
const WORTH_A_CHECKPOINT = Math.ceil(CHECKPOINT_WORTH_WRITING / 8);

const finishMany = async (h: ReturnType<typeof createHarness>, count: number, prefix: string) => {
  for (let index = 0; index < count; index++) {
    await h.engine.start('serial3', {}, { id: `${prefix}-${index}` });
    await h.engine.settled(`${prefix}-${index}`);
  }
};

describe('the recovery checkpoint: recover() scans the log from where the last scan proved every older workflow finished', () => {
  it('a restart after finished work scans none of it; a workflow waiting for a person is listed in the checkpoint, and still recovered', async () => {
    const store = countingStore();
    const h = createHarness({ store, definitions: createRegistry([serial3, gated]), engine: { recoveryCheckpointEvery: 0 } });
    await finishMany(h, WORTH_A_CHECKPOINT, 'old');
    await h.engine.start('gated', {}, { id: 'waits' });
    await h.engine.settled('waits');
    await finishMany(h, 5, 'new');
    await h.engine.close();
    const events = (await store.readAll()).length;
    store.scanned();

    const first = h.restart();
    expect(await first.recover()).toEqual({ resumed: [], waiting: 1 });
    expect(store.scanned()).toBe(events);
    // Scanning again from the waiting workflow's start would cost more than listing it.
    expect(await readRecoveryCheckpoint(store)).toEqual({
      position: BigInt(events),
      scanFrom: BigInt(events) + 1n,
      listed: [{ id: 'waits', last: 'HumanInputRequested' }],
    });
    await first.close();

    // The second restart reads nothing of the log, and finds the waiting workflow from the checkpoint.
    const second = h.restart();
    expect(await second.recover()).toEqual({ resumed: [], waiting: 1 });
    expect(store.scanned()).toBe(0);
    // ...and the waiting workflow is as it was: a person's approval finishes it.
    expect(await second.send('waits', { type: 'APPROVE' })).toMatchObject({ accepted: true });
    expect(await second.settled('waits')).toMatchObject({ status: 'completed' });
    await second.close();

    // Everything finished, but proving it would spare the next scan only the approval's few
    // events: not worth an event in the log, so restarts leave the log as they found it.
    const head = await store.headPosition();
    const third = h.restart();
    expect(await third.recover()).toEqual({ resumed: [], waiting: 0 });
    await third.close();
    const rescanned = store.scanned();
    expect(rescanned).toBeGreaterThan(0);
    expect(rescanned).toBeLessThan(CHECKPOINT_WORTH_WRITING);
    expect(await store.headPosition()).toBe(head);
    const fourth = h.restart();
    expect(await fourth.recover()).toEqual({ resumed: [], waiting: 0 });
    expect(store.scanned()).toBe(rescanned);
    expect(await store.headPosition()).toBe(head);
    await fourth.close();

    // Once a scan would spare enough, the next recovery writes the checkpoint, and the one after scans nothing.
    const more = h.restart();
    await finishMany({ ...h, engine: more }, WORTH_A_CHECKPOINT, 'more');
    await more.close();
    const fifth = h.restart();
    await fifth.recover();
    await fifth.close();
    expect((await readRecoveryCheckpoint(store))?.listed).toEqual([]);
    store.scanned();
    const sixth = h.restart();
    expect(await sixth.recover()).toEqual({ resumed: [], waiting: 0 });
    expect(store.scanned()).toBe(0);
    await sixth.close();
  });

  it('a sleeping workflow listed in the checkpoint is loaded from its own stream, and wakes up on time', async () => {
    const store = countingStore();
    const h = createHarness({ store, definitions: createRegistry([serial3, napper]), engine: { recoveryCheckpointEvery: 0 } });
    await h.engine.start('napper', {}, { id: 'sleeps' });
    await finishMany(h, WORTH_A_CHECKPOINT, 'later');
    await h.engine.close();
    const first = h.restart();
    expect(await first.recover()).toEqual({ resumed: ['sleeps'], waiting: 0 });
    await first.close();
    // 1,000 events began after it: listing it (one load) is cheaper than scanning them again.
    expect((await readRecoveryCheckpoint(store))?.listed).toEqual([{ id: 'sleeps', last: 'SleepStarted' }]);

    store.scanned();
    const second = h.restart();
    expect(await second.recover()).toEqual({ resumed: ['sleeps'], waiting: 0 });
    expect(store.scanned()).toBe(0);
    await h.clock.advance(24 * 3600_000);
    expect(await second.settled('sleeps')).toMatchObject({ status: 'completed' });
    await second.close();
    const types = (await store.readStream(workflowStream('sleeps'))).map((record) => record.type);
    expect(types).toEqual(['WorkflowStarted', 'SleepStarted', 'SleepEnded', 'WorkflowCompleted']);
  });

  it('a running engine advances the checkpoint in the background as it records events', async () => {
    const store = countingStore();
    const h = createHarness({ store, definitions: createRegistry([serial3]), engine: { recoveryCheckpointEvery: 16 } });
    await finishMany(h, 10, 'run');
    // close() waits for an advance in progress.
    await h.engine.close();
    // serial3 records 8 events: the first advance came once 16 were recorded, with the first workflow finished.
    const advanced = await readRecoveryCheckpoint(store);
    expect(advanced?.position).toBeGreaterThanOrEqual(16n);
    expect(advanced?.scanFrom).toBeGreaterThan(8n);
    const workflowEvents = { filter: { streamPrefixes: ['ecl.workflow-'] } };
    const total = (await store.readAll(workflowEvents)).length;
    const expected = (await store.readAll({ ...workflowEvents, fromPosition: advanced?.scanFrom as bigint })).length;
    expect(total).toBe(80);
    expect(expected).toBeLessThan(total);
    store.scanned();
    const next = h.restart();
    expect(await next.recover()).toEqual({ resumed: [], waiting: 0 });
    expect(store.scanned()).toBe(expected);
    await next.close();
  });

  it('ignores a checkpoint it cannot read (another schema, nonsense), and scans the whole log', async () => {
    const store = countingStore();
    const h = createHarness({ store, definitions: createRegistry([serial3]), engine: { recoveryCheckpointEvery: 0 } });
    await finishMany(h, WORTH_A_CHECKPOINT, 'w');
    await h.engine.close();
    const unreadable: Record<string, JsonValue>[] = [
      { schema: 99, position: '15', scanFrom: '16', listed: [] },
      { schema: 1, position: 'x', scanFrom: '16', listed: [] },
      { schema: 1, position: '15', scanFrom: '16', listed: [{ id: 3 }] },
      { schema: 1 },
    ];
    for (const data of unreadable) {
      await store.append(RECOVERY_STREAM, [{ type: 'RecoveryCheckpointTaken', data }]);
      expect(await readRecoveryCheckpoint(store)).toBeUndefined();
    }
    store.scanned();
    const engine = h.restart();
    await engine.recover();
    expect(store.scanned()).toBe(WORTH_A_CHECKPOINT * 8);
    const lastWorkflowEvent = BigInt(WORTH_A_CHECKPOINT * 8);
    expect(await readRecoveryCheckpoint(store)).toEqual({ position: lastWorkflowEvent, scanFrom: lastWorkflowEvent + 1n, listed: [] });
    await engine.close();
  });
});
