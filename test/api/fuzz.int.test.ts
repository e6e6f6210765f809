import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBLEM_CODES } from '../../src/api/index.js';
import { fuzzRequest, wireBody } from './support/fuzzRequests.js';
import { rawRequest } from './support/http.js';
import { KEYS, briefInput, eventually, startTestServer, type TestServer } from './support/testServer.js';

let server: TestServer;

/** Waits until nothing is appended for a while and the read models have caught up: the store is at rest. */
async function quiescent(): Promise<bigint | null> {
  let last = await server.store.headPosition();
  let stable = 0;
  while (stable < 3) {
    await new Promise((resolve) => setTimeout(resolve, 15));
    const head = await server.store.headPosition();
    stable = head === last ? stable + 1 : 0;
    last = head;
  }
  if (last !== null) await server.projections.runner.waitFor(last, { timeoutMs: 10_000 }).catch(() => undefined);
  return last;
}

beforeAll(async () => {
  server = await startTestServer();
  expect((await server.call('POST', '/v1/workflows', { body: { definition: 'brief', input: briefInput({ maxIterations: 1, onCap: 'escalate' }), id: 'w1' } })).status).toBe(201);
  await eventually(async () => ((await server.call('GET', '/v1/workflows/w1')).body?.status === 'waiting' ? true : undefined), 'w1 to wait');
  expect((await server.call('POST', '/v1/workflows', { body: { definition: 'serial3', input: {}, id: 'w2' } })).status).toBe(201);
  expect((await server.call('POST', '/v1/workflows', { body: { definition: 'serial3', input: {}, id: 'w1' }, key: KEYS.globex.key })).status).toBe(201);
  await quiescent();
});
afterAll(async () => {
  await server.stop();
});

describe('fuzzing every route of a running ecl serve', () => {
  it('never answers 5xx, answers errors as problem+json with a known code, and a rejected request changes nothing in the store', async () => {
    const problemCodes = new Set<string>(PROBLEM_CODES);
    let accepted = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(
        fuzzRequest({ ids: ['w1', 'w2', 'nope'], validKeys: [KEYS.acme.key, KEYS.globex.key], commandTypes: ['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL'], definitions: ['brief', 'serial3'] }),
        async (request) => {
          const before = await server.store.headPosition();
          const response = await rawRequest(server.url, { ...request, body: wireBody(request.body) });
          const shown = `${request.method} ${request.path} -> ${response.status} ${response.body.slice(0, 300)}`;
          expect(response.status, shown).toBeGreaterThanOrEqual(200);
          expect(response.status, shown).toBeLessThan(500);
          if (response.status >= 400) {
            rejected += 1;
            expect(await server.store.headPosition(), shown).toBe(before);
            if (request.method !== 'HEAD') {
              expect(response.headers['content-type'], shown).toMatch(/^application\/problem\+json/);
              expect(problemCodes.has((JSON.parse(response.body) as { code: string }).code), shown).toBe(true);
            }
          } else if (request.method === 'POST') {
            accepted += 1;
            await quiescent();
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(rejected).toBeGreaterThan(100);
    expect((await rawRequest(server.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
    if (process.env.ECL_FUZZ_STATS) console.log({ accepted, rejected });
  });
});
