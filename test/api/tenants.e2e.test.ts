import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInsecureBindError, startServer } from '../../src/api/index.js';
import { openSse } from './support/http.js';
import { KEYS, briefInput, eventually, startTestServer, type TestServer } from './support/testServer.js';

let server: TestServer;
const acme = KEYS.acme.key;
const globex = KEYS.globex.key;

beforeAll(async () => {
  server = await startTestServer();
  // The same client id in both tenants: two different workflows.
  expect(
    (
      await server.call('POST', '/v1/workflows', {
        body: { definition: 'brief', input: briefInput({ maxIterations: 1, onCap: 'escalate' }), id: 'shared' },
        key: acme,
      })
    ).status,
  ).toBe(201);
  await eventually(
    async () => ((await server.call('GET', '/v1/workflows/shared', { key: acme })).body?.status === 'waiting' ? true : undefined),
    'acme escalation',
  );
  expect((await server.call('POST', '/v1/workflows', { body: { definition: 'serial3', input: {}, id: 'only-acme' }, key: acme })).status).toBe(201);
});
afterAll(async () => {
  await server.stop();
});

describe('tenants', () => {
  it("answers 404 for another tenant's workflow on every route, including SSE", async () => {
    for (const path of ['/v1/workflows/only-acme', '/v1/workflows/only-acme/audit', '/v1/workflows/only-acme/stream']) {
      const response = await server.call('GET', path, { key: globex });
      expect(response.status, path).toBe(404);
      expect(response.body.code).toBe('WORKFLOW_NOT_FOUND');
    }
    const send = await server.call('POST', '/v1/workflows/only-acme/events', { body: { type: 'CANCEL' }, key: globex });
    expect(send.status).toBe(404);
    // Named by the id the caller sent, never the tenant-prefixed one.
    expect(send.body).toMatchObject({ code: 'WORKFLOW_NOT_FOUND', detail: 'No workflow "only-acme"', workflowId: 'only-acme' });
    const before = await server.store.headPosition();
    const approve = await server.call('POST', '/v1/workflows/shared/events', { body: { type: 'APPROVE' }, key: globex });
    expect(approve.status).toBe(404);
    expect(await server.store.headPosition()).toBe(before);
    expect((await server.call('GET', '/v1/workflows/shared', { key: acme })).body.status).toBe('waiting');
  });

  it('keeps lists, summaries and tenant streams apart, and namespaces ids in the store', async () => {
    const tenantStream = openSse(server.url, '/v1/stream', { authorization: `Bearer ${globex}` });
    expect(await tenantStream.status).toBe(200);
    const acmeStream = openSse(server.url, '/v1/stream', { authorization: `Bearer ${acme}` });
    expect(await acmeStream.status).toBe(200);

    expect((await server.call('POST', '/v1/workflows', { body: { definition: 'serial3', input: {}, id: 'shared' }, key: globex })).status).toBe(201);
    await eventually(
      async () => ((await server.call('GET', '/v1/workflows/shared', { key: globex })).body?.status === 'completed' ? true : undefined),
      'globex shared to complete',
    );
    expect((await server.call('POST', '/v1/workflows', { body: { definition: 'serial3', input: {}, id: 'acme-later' }, key: acme })).status).toBe(201);
    await eventually(
      async () =>
        acmeStream.messages.some(
          (m) => (m.data as { workflowId: string; type: string }).workflowId === 'acme-later' && (m.data as { type: string }).type === 'WorkflowCompleted',
        )
          ? true
          : undefined,
      'acme tenant stream',
    );

    const globexIds = new Set(tenantStream.messages.map((m) => (m.data as { workflowId: string }).workflowId));
    expect([...globexIds]).toEqual(['shared']);
    expect(tenantStream.messages.some((m) => (m.data as { type: string }).type === 'WorkflowCompleted')).toBe(true);
    expect(new Set(acmeStream.messages.map((m) => (m.data as { workflowId: string }).workflowId))).toEqual(new Set(['acme-later']));
    tenantStream.close();
    acmeStream.close();

    const globexList = await server.call('GET', '/v1/workflows', { key: globex });
    expect((globexList.body.items as Array<{ workflowId: string; definition: string }>).map((item) => `${item.workflowId}:${item.definition}`)).toEqual([
      'shared:serial3',
    ]);
    const acmeList = await server.call('GET', '/v1/workflows', { key: acme });
    expect((acmeList.body.items as Array<{ workflowId: string }>).map((item) => item.workflowId).sort()).toEqual(['acme-later', 'only-acme', 'shared']);
    expect((await server.call('GET', '/v1/metrics/summary', { key: globex })).body.workflows.total).toBe(1);
    expect((await server.call('GET', '/v1/metrics/summary', { key: acme })).body.workflows.total).toBe(3);

    expect(await server.store.readStream('ecl.workflow-acme:shared', { limit: 1 })).toHaveLength(1);
    expect(await server.store.readStream('ecl.workflow-globex:shared', { limit: 1 })).toHaveLength(1);
    const [started] = await server.store.readStream('ecl.workflow-globex:shared', { limit: 1 });
    expect(started?.metadata).toMatchObject({ tenant: 'globex', sender: KEYS.globex.id });
  });

  it('never reads server files for a tenant: brief records inline documents, and only the CLI edge reads files into them', async () => {
    const response = await server.call('POST', '/v1/workflows', {
      body: { definition: 'brief', input: { instructions: 'x', files: ['/etc/passwd'] } },
      key: acme,
    });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('INVALID_INPUT');
    expect(response.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'input.documents' }),
        expect.objectContaining({ path: 'input', message: expect.stringContaining('"files"') }),
      ]),
    );
    expect((await server.store.readAll()).some((event) => JSON.stringify(event.data).includes('/etc/passwd'))).toBe(false);
  });

  it('answers 401 on every /v1 route without a valid key', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/v1/workflows'],
      ['POST', '/v1/workflows'],
      ['GET', '/v1/workflows/shared'],
      ['POST', '/v1/workflows/shared/events'],
      ['GET', '/v1/workflows/shared/audit'],
      ['GET', '/v1/workflows/shared/stream'],
      ['GET', '/v1/stream'],
      ['GET', '/v1/definitions'],
      ['GET', '/v1/metrics/summary'],
    ];
    for (const [method, path] of routes) {
      for (const key of [null, 'wrong-key', `${acme}x`, acme.slice(0, -1)]) {
        const response = await server.call(method, path, { key, ...(method === 'POST' ? { body: { type: 'CANCEL' } } : {}) });
        expect(response.status, `${method} ${path} with ${key}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(response.body.code).toBe('UNAUTHORIZED');
      }
    }
  });

  it('refuses to bind a non-loopback host in open mode, with a clear error', async () => {
    let error: unknown;
    try {
      await startServer({ env: {}, cwd: server.dir, flags: { store: 'memory:', host: '0.0.0.0', port: 0 } });
    } catch (caught) {
      error = caught;
    }
    expect(isInsecureBindError(error)).toBe(true);
    expect((error as Error).message).toMatch(/Refusing to listen on 0\.0\.0\.0.*ECL_API_KEYS/s);
  });
});
