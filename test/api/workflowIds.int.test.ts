import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEngineError } from '../../src/actors/index.js';
import { workflowStream } from '../../src/eventstore/index.js';
import { KEYS, eventually, startTestServer, type TestServer } from './support/testServer.js';

// Issue 14, item 4: one workflow-id rule for every entry point; a tenant's prefix only through the API's own scoping.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

const startError = async (id: string, tenant?: string): Promise<string> => {
  try {
    await server.engine.start('serial3', {}, { id, ...(tenant === undefined ? {} : { tenant }) });
  } catch (error) {
    if (isEngineError(error)) return error.code;
    throw error;
  }
  return 'started';
};

describe('one workflow-id rule', () => {
  it('the engine refuses what the API refuses, and a tenant prefix unless it starts for that tenant', async () => {
    const before = await server.store.headPosition();
    for (const id of ['bad/id', '../up', 'acme:planted', ':x', 'a b', '-lead', 'x'.repeat(129), '']) {
      expect(await startError(id), id).toBe('INVALID_WORKFLOW_ID');
      expect((await server.call('POST', '/v1/workflows', { body: { definition: 'serial3', input: {}, id } })).status, id).toBe(400);
    }
    expect(await startError('globex:x', 'acme')).toBe('INVALID_WORKFLOW_ID');
    expect(await startError('acme:bad/id', 'acme')).toBe('INVALID_WORKFLOW_ID');
    expect(await server.store.headPosition()).toBe(before);
    // What the API itself does: the scoped id, started for its tenant.
    expect(await startError('acme:scoped-1', 'acme')).toBe('started');
    await eventually(
      async () => ((await server.call('GET', '/v1/workflows/scoped-1')).body?.status === 'completed' ? true : undefined),
      'scoped-1 through the API',
    );
  });

  it("a workflow written under a tenant's prefix by anything but the API is nobody's: 404 everywhere, as it is absent from the list", async () => {
    // As `ecl run --id acme:planted` wrote it before the rule: the id carries the prefix, the records no tenant.
    const metadata = { workflowId: 'acme:planted', definition: 'serial3', version: 1, sender: 'cli', at: new Date().toISOString(), state: '{"one":"pending"}' };
    await server.store.append(
      workflowStream('acme:planted'),
      [{ type: 'WorkflowStarted', data: { v: 1, workflowId: 'acme:planted', definition: 'serial3', version: 1, input: {}, inputHash: 'x' }, metadata }],
      { expectedRevision: 'no_stream' },
    );
    for (const path of ['/v1/workflows/planted', '/v1/workflows/planted/audit', '/v1/workflows/planted/stream']) {
      const response = await server.call('GET', path, { key: KEYS.acme.key });
      expect(response.status, path).toBe(404);
      expect(response.body.code, path).toBe('WORKFLOW_NOT_FOUND');
    }
    const list = await server.call('GET', '/v1/workflows', { key: KEYS.acme.key });
    expect((list.body.items as { workflowId: string }[]).map((item) => item.workflowId)).not.toContain('planted');
  });
});
