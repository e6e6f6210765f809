import { afterAll, beforeAll } from 'vitest';
import { openEventStore } from '../../src/eventstore/index.js';
import { eventStoreContract } from '../contracts/eventStore.contract.js';
import { startTestPostgres, type TestPostgres } from '../support/embeddedPostgres.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

// Each store gets a schema of its own, created by the store itself on open.
eventStoreContract('postgres', async () => ({ store: await openEventStore(server.schemaUrl('contract')) }));
