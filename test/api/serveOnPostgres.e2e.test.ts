import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import { startServer } from '../../src/api/index.js';
import { createMemoryArtifactStore } from '../../src/artifacts/index.js';
import { createScriptedProvider } from '../../src/llm/index.js';
import { createSampleRegistry } from '../support/definitions.js';
import { startTestPostgres, type TestPostgres } from '../support/embeddedPostgres.js';
import { serveScenarios } from './support/serveScenarios.js';
import { briefInput, eventually, startTestServer } from './support/testServer.js';

// The API end to end with its log and its read models on a real PostgreSQL (one schema per server).
let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
}, 120_000);
afterAll(async () => {
  await postgres?.stop();
});

let servers = 0;
serveScenarios('PostgreSQL', (options = {}) => startTestServer({ ...options, store: postgres.schemaUrl(`api${++servers}`) }));

/** A logger that keeps the warnings: a read served stale after the read-your-writes timeout is one. */
function warningsLogger() {
  const warnings: string[] = [];
  const stream = new Writable({
    objectMode: true,
    write(info: { level: string; message: string }, _encoding, done) {
      if (info.level === 'warn' || info.level === 'error') warnings.push(info.message);
      done();
    },
  });
  return { warnings, logger: winston.createLogger({ level: 'warn', transports: [new winston.transports.Stream({ stream })] }) };
}

describe('two ecl serve on one PostgreSQL schema, sharing its read models', () => {
  it('a write through either node is in the very next read on the other; both answer lists and metrics alike', async () => {
    const url = postgres.schemaUrl('pair');
    const { warnings, logger } = warningsLogger();
    const one = await startTestServer({ store: url, logger });
    const two = await startTestServer({ store: url, logger });
    try {
      expect(one.projections.path).toBe(two.projections.path);
      for (let round = 0; round < 20; round++) {
        const [writer, reader] = round % 2 === 0 ? [one, two] : [two, one];
        const started = await writer.call('POST', '/v1/workflows', { body: { definition: 'brief', input: briefInput(), id: `pair-${round}` } });
        expect(started.status).toBe(201);
        const read = await reader.call('GET', `/v1/workflows/pair-${round}`);
        expect(read.status, JSON.stringify(read.body)).toBe(200);
        expect(read.body.revision).toBeGreaterThanOrEqual(started.body.revision);
      }
      await eventually(async () => {
        const { body } = await one.call('GET', '/v1/workflows?limit=100');
        return body.items.length === 20 && body.items.every((item: { status: string }) => item.status === 'completed') ? true : undefined;
      }, 'every workflow to complete');
      const [listOne, listTwo] = await Promise.all([one.call('GET', '/v1/workflows?limit=100'), two.call('GET', '/v1/workflows?limit=100')]);
      expect(listTwo.body).toEqual(listOne.body);
      const [metricsOne, metricsTwo] = await Promise.all([one.call('GET', '/v1/metrics/summary'), two.call('GET', '/v1/metrics/summary')]);
      expect(metricsTwo.body).toEqual(metricsOne.body);
      expect(metricsOne.body.workflows.total).toBe(20);
      const [auditOne, auditTwo] = await Promise.all([one.call('GET', '/v1/workflows/pair-3/audit'), two.call('GET', '/v1/workflows/pair-3/audit')]);
      expect(auditTwo.body).toEqual(auditOne.body);
    } finally {
      await one.stop();
      await two.stop();
    }
    expect(warnings.filter((message) => /projection/.test(message))).toEqual([]);
  }, 60_000);

  it('ignores a read-model file set beside a postgres:// store, and says so: its read models are tables of the store', async () => {
    const { warnings, logger } = warningsLogger();
    const server = await startServer({
      env: {},
      flags: { store: postgres.schemaUrl('file'), projections: './read-models.db', port: 0, host: '127.0.0.1' },
      logger,
      definitions: createSampleRegistry(),
      llm: { provider: createScriptedProvider({ script: { fallback: 'offline' }, env: {} }), description: 'LLM: scripted (test)' },
      artifacts: createMemoryArtifactStore(),
    });
    try {
      expect(server.banner).toContain(
        'Warning: projections setting ./read-models.db ignored: a postgres:// store keeps its read models in its own schema, shared by every node',
      );
      expect(server.projections.path).toMatch(/schema=file_/);
      expect(warnings).toEqual([expect.stringContaining('read-models.db ignored')]);
    } finally {
      await server.close();
    }
  });
});
