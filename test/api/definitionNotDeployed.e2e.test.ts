import { afterAll, beforeAll, expect, it } from 'vitest';
import { workflowStream } from '../../src/eventstore/index.js';
import { createRegistry } from '../../src/machines/index.js';
import { SAMPLE_DEFINITIONS } from '../support/definitions.js';
import { killChildren, startEcl, waitFor } from '../cli/cliHarness.js';
import { leaf } from '../cli/fixtures/family.js';
import { type TestServer, eventually, startTestServer } from './support/testServer.js';

/**
 * `ecl serve` (in process) has the sample definitions and `leaf`; an `ecl worker` on the same
 * SQLite file has only the samples. A `leaf` workflow whose partition the worker holds would sit
 * unrun: its start is refused, naming the worker, and nothing is recorded.
 */
let server: TestServer;
let worker: ReturnType<typeof startEcl>;
beforeAll(async () => {
  server = await startTestServer({ definitions: createRegistry([...SAMPLE_DEFINITIONS, leaf]) });
  worker = startEcl(['worker', '--store', `sqlite:${server.dir}/ecl.db`], { cwd: server.dir });
  await waitFor(() => /Recovered: /.test(worker.output()), worker.child, 'the worker banner');
  // The worker takes its share of the partitions over a few heartbeats.
  await eventually(
    async () => {
      const { body } = await server.call('GET', '/v1/workers');
      const workers = (body as { workers: { role: string; partitions: number[] }[] }).workers;
      return workers.filter((each) => each.role === 'worker' && each.partitions.length > 0).length === 2 ? true : undefined;
    },
    'both workers holding partitions',
    30_000,
  );
  // The server's node learns the split at its next heartbeat: until then it takes every partition for its own.
  let probe = 0;
  await eventually(
    async () =>
      (await server.call('POST', '/v1/workflows', { body: { definition: 'leaf', input: { name: 'x' }, id: `probe-${probe++}` } })).status === 409
        ? true
        : undefined,
    "the server seeing the worker's partitions",
    30_000,
  );
});
afterAll(async () => {
  if (worker.child.exitCode === null) process.kill(worker.child.pid as number, 'SIGTERM');
  await worker.done;
  killChildren();
  await server.stop();
});

it('a start the worker holding its partition could not run is a 409 DEFINITION_NOT_DEPLOYED that records nothing; the others start', async () => {
  const answers = await Promise.all(
    Array.from({ length: 24 }, async (_, index) => {
      const id = `leaf-${index}`;
      const { status, body } = await server.call('POST', '/v1/workflows', { body: { definition: 'leaf', input: { name: 'x' }, id } });
      return { id, status, body: body as { code?: string; detail?: string } };
    }),
  );
  const refused = answers.filter((answer) => answer.status === 409);
  const started = answers.filter((answer) => answer.status === 201);
  expect(refused.length + started.length, JSON.stringify(answers)).toBe(24);
  expect(refused.length).toBeGreaterThan(0);
  expect(started.length).toBeGreaterThan(0);
  for (const { id, body } of refused) {
    expect(body.code).toBe('DEFINITION_NOT_DEPLOYED');
    expect(body.detail).toMatch(
      /^leaf v1 would be driven by worker \S+ \(pid \d+ on \S+\), which does not have it \(it has: brief v1, serial3 v1\)\. Nothing was recorded\./,
    );
    expect(await server.store.readStream(workflowStream(`acme:${id}`), { limit: 1 })).toEqual([]);
  }
  // A definition every worker has starts wherever its partition lies.
  const serial = await Promise.all(
    Array.from({ length: 8 }, (_, index) => server.call('POST', '/v1/workflows', { body: { definition: 'serial3', input: {}, id: `s-${index}` } })),
  );
  expect(serial.map((answer) => answer.status)).toEqual(Array(8).fill(201));
});
