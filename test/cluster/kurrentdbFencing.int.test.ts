import { afterEach, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/actors/index.js';
import { createMemoryArtifactStore } from '../../src/artifacts/index.js';
import { partitionOf } from '../../src/cluster/index.js';
import { openEventStore, workflowStream, type AppendFence, type EventStore } from '../../src/eventstore/index.js';
import { createScriptedProvider } from '../../src/llm/index.js';
import { briefInput, recording, silentLogger } from '../actors/support/harness.js';
import { startFakeKurrentDbServer, type FakeKurrentDbServer } from '../kurrentdb/support/fakeKurrentDbServer.js';
import { createSampleRegistry } from '../support/definitions.js';
import { joinMember, until, type Member } from './support.js';

// KurrentDB cannot check a lease inside an append, so a worker fences itself by its own clock
// (docs/scaling.md, *KurrentDB*). Here a worker stalls holding a lease: nobody has taken its
// partition yet, so the stream is exactly as it left it and optimistic concurrency alone would
// accept its late outcome. The store refuses it, because the lease ran out by the worker's clock.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const TTL = 400;

it('a worker whose lease ran out by its own clock cannot append for its partition, even onto an unchanged stream; the next owner runs the step again', async () => {
  const server: FakeKurrentDbServer = await startFakeKurrentDbServer();
  cleanups.push(() => server.close());
  const open = async (): Promise<EventStore> => {
    const store = await openEventStore(server.url);
    cleanups.push(() => store.close());
    return store;
  };
  const llm = recording(
    createScriptedProvider({
      script: { steps: { extract: [{ iteration: 1, attempt: 1, text: 'facts', holdMs: 1_500 }] }, fallback: 'offline' },
      env: {},
      now: () => 0,
    }),
  );

  // The stalled worker: one heartbeat took the partition, then none came (a paused process still
  // believes it holds its lease, so its engine keeps handing out the fence).
  const stalled = await open();
  const id = 'fenced-1';
  const partitions = await stalled.leases!.partitions(64);
  const partition = partitionOf(id, partitions);
  const table = await stalled.leases!.sync({
    worker: { id: 'a', role: 'worker', pid: process.pid, host: 'test', startedAt: Date.now(), lastSeen: Date.now(), info: {} },
    now: Date.now(),
    ttlMs: TTL,
    renew: [],
    acquire: [partition],
    release: [],
  });
  const fence: AppendFence = { partition, owner: 'a', epoch: table.leases.find((lease) => lease.partition === partition)!.epoch };
  const lost: AppendFence[] = [];
  const engine: Engine = createEngine({
    store: stalled,
    llm,
    artifacts: createMemoryArtifactStore(),
    logger: silentLogger(),
    definitions: createSampleRegistry(),
    ownership: { fenceFor: () => fence, lost: (which) => void lost.push(which) },
  });
  cleanups.push(() => engine.close());
  await engine.start('brief', briefInput(), { id });
  await until(() => llm.calls.some((call) => call.step === 'extract'), 'the extract call');
  // The call ends after 1.5 s, long past the lease (400 ms): its outcome is refused, nothing written.
  await until(() => lost.length > 0, 'the late outcome to be refused', 5_000);
  expect(lost).toEqual([fence]);
  const stream = workflowStream(id);
  const types = async () => (await stalled.readStream(stream)).map((record) => record.type);
  expect(await types()).not.toContain('StepCompleted');

  // A live worker takes the expired partition over and runs the interrupted step as attempt 2.
  const member: Member = await joinMember(await open(), llm, { id: 'b', ttlMs: 1_000 });
  cleanups.push(() => member.close());
  await until(async () => (await types()).includes('WorkflowCompleted'), 'the workflow to complete on b', 15_000);
  const extractOutcomes = (await stalled.readStream(stream))
    .filter((record) => record.type === 'StepCompleted' && (record.data as { step: string }).step === 'extract')
    .map((record) => (record.data as { attempt: number }).attempt);
  expect(extractOutcomes).toEqual([2]);
});
