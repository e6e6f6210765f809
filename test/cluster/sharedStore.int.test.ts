import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createMemoryEventStore, openEventStore, type EventStore } from '../../src/eventstore/index.js';
import { startFakeKurrentDbServer } from '../kurrentdb/support/fakeKurrentDbServer.js';
import { sharedStoreScenarios } from './support/sharedStoreScenarios.js';

sharedStoreScenarios('memory', async () => {
  const store = createMemoryEventStore();
  return { storeForNode: async () => store, close: () => store.close() };
});

// Each engine on its own connection to one file, as processes on one machine would be.
const folder = mkdtempSync(join(tmpdir(), 'ecl-shared-sqlite-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
sharedStoreScenarios('SQLite file', async (scenario) => {
  const url = `sqlite:${join(folder, `${scenario}.db`)}`;
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

// Each engine on its own client of one in-process gRPC test server (not a real KurrentDB), as
// processes sharing a KurrentDB would be; leases are the table stream, fences judged by each
// worker's clock, so the TTLs are three times as long (docs/scaling.md, *KurrentDB*).
sharedStoreScenarios(
  'KurrentDB (gRPC test server)',
  async () => {
    const server = await startFakeKurrentDbServer();
    const stores: EventStore[] = [];
    return {
      storeForNode: async () => {
        const store = await openEventStore(server.url);
        stores.push(store);
        return store;
      },
      close: async () => {
        for (const store of stores) await store.close();
        await server.close();
      },
    };
  },
  { ttlScale: 3 },
);
