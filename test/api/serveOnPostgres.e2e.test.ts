import { afterAll, beforeAll } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../support/embeddedPostgres.js';
import { serveScenarios } from './support/serveScenarios.js';
import { startTestServer } from './support/testServer.js';

// The API end to end with its log on a real PostgreSQL (one schema per server).
let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
}, 120_000);
afterAll(async () => {
  await postgres?.stop();
});

let servers = 0;
serveScenarios('PostgreSQL', (options = {}) => startTestServer({ ...options, store: postgres.schemaUrl(`api${++servers}`) }));
