import { afterAll, beforeAll, describe } from 'vitest';
import { openKurrentDbEventStore } from '../../src/eventstore/kurrentdb/index.js';
import { eventStoreContract } from '../contracts/eventStore.contract.js';
import { startFakeKurrentDbServer, type FakeKurrentDbServer } from './support/fakeKurrentDbServer.js';

describe('KurrentDB adapter on the gRPC test server (not a real KurrentDB)', () => {
  let server: FakeKurrentDbServer;
  beforeAll(async () => {
    server = await startFakeKurrentDbServer();
  });
  afterAll(async () => {
    await server.close();
  });
  eventStoreContract('kurrentdb (gRPC test server, BatchAppend)', async () => ({ store: await openKurrentDbEventStore(server.url) }));
});

describe('KurrentDB adapter on the gRPC test server listing only Streams/Append (not a real KurrentDB)', () => {
  let server: FakeKurrentDbServer;
  beforeAll(async () => {
    server = await startFakeKurrentDbServer({ appendMethod: 'unary' });
  });
  afterAll(async () => {
    await server.close();
  });
  eventStoreContract('kurrentdb (gRPC test server, unary Append)', async () => ({ store: await openKurrentDbEventStore(server.url) }));
});

const realServer = process.env.ECL_ESDB_URL;
describe.skipIf(realServer === undefined)('KurrentDB adapter on a real server (ECL_ESDB_URL; skipped when unset)', () => {
  eventStoreContract('kurrentdb (real server at ECL_ESDB_URL)', async () => ({ store: await openKurrentDbEventStore(realServer!) }));
});
