import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBLEM_CODES } from '../../src/api/index.js';
import { captureLogs } from '../llm/support/captureLogs.js';
import { fuzzRequest, wireBody } from './support/fuzzRequests.js';
import { rawRequest } from './support/http.js';
import { KEYS, briefInput, eventually, startTestServer, type TestServer } from './support/testServer.js';

// Short form in `npm test`; `npm run chaos` (ECL_CHAOS=long) sends 10,000 requests. ECL_FUZZ_RUNS overrides.
const RUNS = Number(process.env.ECL_FUZZ_RUNS ?? (process.env.ECL_CHAOS === 'long' ? 10_000 : 1_000));

let server: TestServer;
const logs = captureLogs('info');

/** Waits until nothing is appended for a while and the read models have caught up: the store is at rest. */
async function quiescent(): Promise<bigint | null> {
  // Every workflow a request started or moved runs to where it waits: on a loaded machine a step
  // may take longer than the stable window below, and its append would land during the next request.
  await Promise.all(server.engine.inFlight().map((workflowId) => server.engine.settled(workflowId).catch(() => undefined)));
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
  server = await startTestServer({ logger: logs.logger });
  expect(
    (await server.call('POST', '/v1/workflows', { body: { definition: 'brief', input: briefInput({ maxIterations: 1, onCap: 'escalate' }), id: 'w1' } }))
      .status,
  ).toBe(201);
  await eventually(async () => ((await server.call('GET', '/v1/workflows/w1')).body?.status === 'waiting' ? true : undefined), 'w1 to wait');
  expect((await server.call('POST', '/v1/workflows', { body: { definition: 'serial3', input: {}, id: 'w2' } })).status).toBe(201);
  expect((await server.call('POST', '/v1/workflows', { body: { definition: 'serial3', input: {}, id: 'w1' }, key: KEYS.globex.key })).status).toBe(201);
  await quiescent();
});
afterAll(async () => {
  await server.stop();
});

/** A logged stack trace: an `at …` frame in any field of a log line. */
const stackTraceIn = (line: Record<string, unknown>): boolean => /\n\s+at /.test(JSON.stringify(line).replace(/\\n/g, '\n'));

describe('fuzzing every route of a running ecl serve', () => {
  it(
    `never answers 5xx, answers errors as problem+json with a known code, logs no stack trace, and a rejected request changes nothing in the store (${RUNS} requests)`,
    async () => {
      const problemCodes = new Set<string>(PROBLEM_CODES);
      const figures = { requests: 0, accepted: 0, rejected: 0, serverErrors: 0, notProblemJson: 0, logChanges: 0, stackTraces: 0, errorLogs: 0, crashes: 0 };
      await fc.assert(
        fc.asyncProperty(
          fuzzRequest({
            ids: ['w1', 'w2', 'nope'],
            validKeys: [KEYS.acme.key, KEYS.globex.key],
            commandTypes: ['APPROVE', 'REJECT', 'REQUEST_REVISION', 'CANCEL'],
            definitions: ['brief', 'serial3'],
          }),
          async (request) => {
            const before = await server.store.headPosition();
            const logged = logs.lines().length;
            figures.requests += 1;
            const response = await rawRequest(server.url, { ...request, body: wireBody(request.body) }).catch((error: Error) => {
              figures.crashes += 1;
              throw error;
            });
            const shown = `${request.method} ${request.path} -> ${response.status} ${response.body.slice(0, 300)}`;
            if (response.status >= 500) figures.serverErrors += 1;
            expect(response.status, shown).toBeGreaterThanOrEqual(200);
            expect(response.status, shown).toBeLessThan(500);
            if (response.status >= 400) {
              figures.rejected += 1;
              const head = await server.store.headPosition();
              if (head !== before) figures.logChanges += 1;
              expect(head, shown).toBe(before);
              if (request.method !== 'HEAD') {
                const isProblem =
                  /^application\/problem\+json/.test(String(response.headers['content-type'])) &&
                  problemCodes.has((JSON.parse(response.body) as { code: string }).code);
                if (!isProblem) figures.notProblemJson += 1;
                expect(isProblem, shown).toBe(true);
              }
            } else if (request.method === 'POST') {
              figures.accepted += 1;
              await quiescent();
            }
            const fresh = logs.lines().slice(logged);
            figures.stackTraces += fresh.filter(stackTraceIn).length;
            figures.errorLogs += fresh.filter((line) => line.level === 'error').length;
            expect(fresh.filter(stackTraceIn), shown).toEqual([]);
            expect(
              fresh.filter((line) => line.level === 'error'),
              shown,
            ).toEqual([]);
          },
        ),
        { numRuns: RUNS },
      );
      expect((await rawRequest(server.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
      console.log(`HTTP fuzz: ${JSON.stringify(figures)}`);
      expect(figures.rejected).toBeGreaterThan(RUNS / 3);
      expect({ ...figures, requests: 0, accepted: 0, rejected: 0 }).toEqual({
        requests: 0,
        accepted: 0,
        rejected: 0,
        serverErrors: 0,
        notProblemJson: 0,
        logChanges: 0,
        stackTraces: 0,
        errorLogs: 0,
        crashes: 0,
      });
    },
    60_000 + RUNS * 100,
  );
});
