import { describe, expect, it } from 'vitest';
import { createMemoryEventStore, workflowStream } from '../../src/eventstore/index.js';
import { createProjectionQueries, createProjectionRunner, openProjectionDatabase, statusOfStream } from '../../src/projections/index.js';
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
