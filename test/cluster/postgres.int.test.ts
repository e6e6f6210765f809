import { afterAll, beforeAll } from 'vitest';
import { openEventStore, type EventStore } from '../../src/eventstore/index.js';
import { startTestPostgres, type TestPostgres } from '../support/embeddedPostgres.js';
import { sharedStoreScenarios } from './support/sharedStoreScenarios.js';

// Each engine on its own PostgreSQL store (own pool, own LISTEN connection) on one schema, as
// separate processes would be.
let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

sharedStoreScenarios('PostgreSQL', async (scenario) => {
  const url = server.schemaUrl(scenario);
  const stores: EventStore[] = [];
  return {
    storeForNode: async () => {
      const store = await openEventStore(url);
      stores.push(store);
      return store;
    },
    close: async () => {
      for (const store of stores) await store.close();
    },
  };
});
