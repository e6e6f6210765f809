import { describe, expect, it } from 'vitest';
import { createMemoryEventStore, workflowStream } from '../../src/eventstore/index.js';
import { createProjectionQueries, createProjectionRunner, openProjectionDatabase, statusOfEvents, statusOfStream } from '../../src/projections/index.js';
import type { WorkflowEvent, WorkflowEventMetadata } from '../../src/machines/index.js';
import { allGoldens, appendGolden } from './support/goldens.js';

/** A writer answers with the fold of the workflow's stream; a later read gets the read model's row. They must be the same. */
describe('statusOfStream', () => {
  it('equals the status read model for every golden history, at every revision', async () => {
    for (const golden of allGoldens()) {
      for (const revision of [0, Math.floor(golden.lastRevision / 2), golden.lastRevision]) {
        const store = createMemoryEventStore();
        const db = openProjectionDatabase(':memory:');
        await appendGolden(store, { ...golden, events: golden.events.slice(0, revision + 1) });
        const runner = createProjectionRunner({ store, db });
        await runner.catchUp();
        const events = await store.readStream(workflowStream(golden.workflowId));
        const isRegistered = (definition: string) => definition !== 'unregistered';
        expect(statusOfStream(events, { isRegistered }), `${golden.file} at revision ${revision}`).toEqual(
          await createProjectionQueries(db, { isRegistered }).getStatus(golden.workflowId),
        );
        db.close();
        await store.close();
      }
    }
  });

  it('is undefined for an empty stream and shows an unregistered live workflow as blocked', async () => {
    expect(statusOfStream([])).toBeUndefined();
    const golden = allGoldens()[0]!;
    const live = { ...golden, events: golden.events.slice(0, 2) };
    const store = createMemoryEventStore();
    await appendGolden(store, live);
    const status = statusOfStream(await store.readStream(workflowStream(live.workflowId)), { isRegistered: () => false });
    expect(status).toMatchObject({ status: 'blocked', accepts: [] });
    await store.close();
  });
});

/** A wait is answered with the fold of the transitions the engine published: the same rules, today's payloads. */
describe('statusOfEvents', () => {
  const asPublished = (events: Awaited<ReturnType<ReturnType<typeof createMemoryEventStore>['readStream']>>, workflowId: string) =>
    events.map((recorded) => ({
      workflowId,
      revision: recorded.revision,
      event: { type: recorded.type, data: recorded.data } as unknown as WorkflowEvent,
      metadata: recorded.metadata as unknown as WorkflowEventMetadata,
    }));

  it("equals the fold of the stream for every golden history of today's payloads, at every revision", async () => {
    let compared = 0;
    for (const golden of allGoldens().filter((candidate) => !candidate.file.includes('legacy'))) {
      const store = createMemoryEventStore();
      await appendGolden(store, golden);
      const events = await store.readStream(workflowStream(golden.workflowId));
      const isRegistered = (definition: string) => definition !== 'unregistered';
      for (let revision = 0; revision < events.length; revision++) {
        const prefix = events.slice(0, revision + 1);
        expect(statusOfEvents(asPublished(prefix, golden.workflowId), { isRegistered }), `${golden.file} at revision ${revision}`).toEqual(
          statusOfStream(prefix, { isRegistered }),
        );
        compared++;
      }
      await store.close();
    }
    expect(compared).toBeGreaterThan(50);
  });

  it('is undefined unless the events are the whole stream: from revision 0, without a gap', async () => {
    const golden = allGoldens()[0]!;
    const store = createMemoryEventStore();
    await appendGolden(store, golden);
    const events = asPublished(await store.readStream(workflowStream(golden.workflowId)), golden.workflowId);
    expect(events.length).toBeGreaterThan(3);
    expect(statusOfEvents([])).toBeUndefined();
    expect(statusOfEvents(events.slice(1))).toBeUndefined();
    expect(statusOfEvents([...events.slice(0, 2), ...events.slice(3)])).toBeUndefined();
    expect(statusOfEvents(events)).toBeDefined();
    await store.close();
  });
});
