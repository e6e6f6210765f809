import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStore } from '../../src/eventstore/index.js';
import { briefHistory } from '../projections/support/historyBuilder.js';
import { HOLD_DRAFT, briefInput, startTestServer, type TestServer } from './support/testServer.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ script: HOLD_DRAFT });
});
afterAll(async () => {
  await server.stop();
});

describe('ecl serve on SQLite: projections in a worker thread', () => {
  it('runs the projection runner in another thread', () => {
    expect(server.projections.thread).toBeDefined();
    expect(server.projections.thread!.id).not.toBe(threadId);
  });

  it('keeps read-your-writes: a read right after each write sees it', async () => {
    for (let index = 0; index < 5; index += 1) {
      const id = `ryw-${index}`;
      const created = await server.call('POST', '/v1/workflows', { body: { definition: 'brief', input: briefInput(), id } });
      expect(created.status).toBe(201);
      const listed = await server.call('GET', '/v1/workflows');
      expect(listed.body.items.map((item: { workflowId: string }) => item.workflowId)).toContain(id);
      // The draft step never answers, so the workflow is running until this CANCEL.
      const cancelled = await server.call('POST', `/v1/workflows/${id}/events`, { body: { type: 'CANCEL', data: { reason: 'read-your-writes' } } });
      expect(cancelled.status).toBe(202);
      const read = await server.call('GET', `/v1/workflows/${id}`);
      expect(read.body).toMatchObject({ workflowId: id, status: 'cancelled', reason: 'read-your-writes' });
    }
  });

  it('a read sees what another process committed before it: it waits for the read models to reach the head', async () => {
    // Another connection (as another process would) writes a whole workflow. The server is not told,
    // so its worker would only find it at its next poll; the read must wait for it, not answer 404.
    const other = await openEventStore(`sqlite:${join(server.dir, 'ecl.db')}`);
    try {
      for (let index = 0; index < 5; index += 1) {
        const history = briefHistory(`acme:elsewhere-${index}`, { tenant: 'acme' });
        await other.append(history.stream, history.events, { expectedRevision: 'no_stream' });
        const read = await server.call('GET', `/v1/workflows/elsewhere-${index}`);
        expect(read.status).toBe(200);
        expect(read.body).toMatchObject({ workflowId: `elsewhere-${index}`, status: 'completed' });
      }
    } finally {
      await other.close();
    }
  });

  it('reports the worker’s checkpoint as the lag', async () => {
    const health = await server.call('GET', '/healthz');
    expect(health.status).toBe(200);
    const lag = await server.projections.runner.lag();
    expect(lag.checkpoint).toBe(server.projections.runner.checkpoint());
  });

  it('ends the worker on close', async () => {
    let ended = false;
    void server.projections.thread!.exited.then(() => (ended = true));
    await server.close();
    expect(ended).toBe(true);
  });
});
