import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStore, workflowStream, type EventStore } from '../../src/eventstore/index.js';
import { createProjectionQueries, createProjectionRunner, openProjectionDatabase } from '../../src/projections/index.js';
import { replayWorkflow } from '../../src/replay/index.js';
import { createBuiltInRegistry } from '../../src/workflows/index.js';
import { startFakeKurrentDbServer, type FakeKurrentDbServer } from '../kurrentdb/support/fakeKurrentDbServer.js';
import { allGoldens } from './support/goldens.js';
import { dumpReadModels } from './support/projectionSpec.js';

/** KurrentDB's positions are commit positions (large, not contiguous): the runner and replay must not care. */
describe('projections and replay fed from KurrentDB $all (in-process gRPC test server)', () => {
  let server: FakeKurrentDbServer;
  let store: EventStore;
  beforeAll(async () => {
    server = await startFakeKurrentDbServer();
    store = await openEventStore(server.url);
  });
  afterAll(async () => {
    await store.close();
    await server.close();
  });

  it('catches up, follows live, and equals a rebuild; replay verifies', async () => {
    const goldens = allGoldens();
    const [first, ...rest] = goldens;
    await store.append(workflowStream(first!.workflowId), first!.events, { expectedRevision: 'no_stream' });
    const db = openProjectionDatabase(':memory:');
    const runner = createProjectionRunner({ store, db, batchSize: 4 });
    await runner.catchUp();
    runner.start();
    let position = 0n;
    for (const golden of rest) position = (await store.append(workflowStream(golden.workflowId), golden.events, { expectedRevision: 'no_stream' })).position;
    await runner.waitFor(position, { timeoutMs: 20_000 });
    await runner.stop();
    expect((await runner.lag()).positions).toBe(0n);
    const queries = createProjectionQueries(db);
    for (const golden of goldens) expect(queries.getStatus(golden.workflowId)?.state).toEqual(golden.finalState);
    const fresh = openProjectionDatabase(':memory:');
    await createProjectionRunner({ store, db: fresh }).rebuild();
    expect(dumpReadModels(fresh)).toEqual(dumpReadModels(db));
    const replayed = await replayWorkflow(first!.workflowId, { store, registry: createBuiltInRegistry(), verify: true });
    expect(replayed.divergence).toBeUndefined();
  });
});
