import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStore, workflowStream, type EventStore } from '../../src/eventstore/index.js';
import { createProjectionQueries, createProjectionRunner, openProjectionDatabase } from '../../src/projections/index.js';
import { replayWorkflow } from '../../src/replay/index.js';
import { createSampleRegistry } from '../support/definitions.js';
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
    for (const golden of goldens) expect((await queries.getStatus(golden.workflowId))?.state).toEqual(golden.finalState);
    const fresh = openProjectionDatabase(':memory:');
    await createProjectionRunner({ store, db: fresh }).rebuild();
    expect(dumpReadModels(fresh)).toEqual(dumpReadModels(db));
    const replayed = await replayWorkflow(first!.workflowId, { store, registry: createSampleRegistry(), verify: true });
    expect(replayed.divergence).toBeUndefined();
  });

  it('a live runner survives the server restarting: events appended after it are projected, each once', async () => {
    const db = openProjectionDatabase(':memory:');
    // Whether the store's subscription resumes by itself or fails and the runner follows again, the read models must get there.
    const runner = createProjectionRunner({ store, db, retryDelaysMs: [50, 200] });
    await runner.catchUp();
    runner.start();
    const [before, after] = allGoldens();
    const first = (await store.append(workflowStream(`outage-${before!.workflowId}`), before!.events, { expectedRevision: 'no_stream' })).position;
    await runner.waitFor(first, { timeoutMs: 20_000 });

    await server.stop();
    await server.start();
    // The client finds its old connection reset on first use: the caller is told and tries again (the engine does the same).
    let second: bigint | undefined;
    let stream = '';
    for (let attempt = 0; second === undefined; attempt += 1) {
      stream = `outage-${attempt}-${after!.workflowId}`;
      second = await store.append(workflowStream(stream), after!.events, { expectedRevision: 'no_stream' }).then(
        (result) => result.position,
        (error: unknown) => {
          if (attempt >= 20 || (error as { code?: string }).code !== 'STORE_UNAVAILABLE') throw error;
          return undefined;
        },
      );
    }
    // A read waiting while the subscription fails is told why; the next one waits for the recovered runner.
    await runner.waitFor(second, { timeoutMs: 30_000 }).catch(() => runner.waitFor(second, { timeoutMs: 30_000 }));
    await runner.stop();
    const queries = createProjectionQueries(db);
    expect((await queries.getStatus(stream))?.state).toEqual(after!.finalState);
    const fresh = openProjectionDatabase(':memory:');
    await createProjectionRunner({ store, db: fresh }).rebuild();
    expect(dumpReadModels(fresh)).toEqual(dumpReadModels(db));
  });
});
