import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBLEM_CODES, createApp, listenApi, type ApiApp } from '../../src/api/index.js';
import { fuzzRequest, wireBody } from './support/fuzzRequests.js';
import { rawRequest } from './support/http.js';
import { createStubPorts } from './support/stubPorts.js';

const keys = [
  { id: 'acme-key', key: 'acme-secret-1', tenant: 'acme' },
  { id: 'globex-key', key: 'globex-secret-1', tenant: 'globex' },
];
let ports: ReturnType<typeof createStubPorts>;
let api: ApiApp;
let base: string;

beforeAll(async () => {
  ports = createStubPorts();
  api = createApp({ ...ports, config: { apiKeys: keys } });
  base = await listenApi(api, { host: '127.0.0.1', port: 0 });
  for (const [key, id] of [['acme-secret-1', 'w1'], ['globex-secret-1', 'w1'], ['acme-secret-1', 'w2']] as const) {
    const response = await rawRequest(base, { method: 'POST', path: '/v1/workflows', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ definition: 'toy', input: { topic: 't' }, id }) });
    expect(response.status).toBe(201);
  }
});
afterAll(async () => {
  await api.app.close();
  await ports.close();
});

describe('fuzzing every route', () => {
  it('never answers 5xx, always problem+json on errors, and a rejected request changes nothing', async () => {
    const problemCodes = new Set<string>(PROBLEM_CODES);
    await fc.assert(
      fc.asyncProperty(fuzzRequest({ ids: ['w1', 'w2', 'nope'], validKeys: keys.map((k) => k.key), commandTypes: ['CANCEL', 'APPROVE'], definitions: ['toy'] }), async (request) => {
        const before = await ports.store.headPosition();
        const response = await rawRequest(base, { ...request, body: wireBody(request.body) });
        expect(response.status, `${request.method} ${request.path} -> ${response.status} ${response.body.slice(0, 300)}`).toBeLessThan(500);
        if (response.status >= 400) {
          expect(await ports.store.headPosition()).toBe(before);
          if (request.method !== 'HEAD') {
            expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
            expect(problemCodes.has((JSON.parse(response.body) as { code: string }).code)).toBe(true);
          }
        }
      }),
      { numRuns: 400 },
    );
    expect((await rawRequest(base, { method: 'GET', path: '/healthz' })).status).toBe(200);
  });
});
