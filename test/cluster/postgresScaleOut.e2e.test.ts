import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { openEventStore, workflowStream } from '../../src/eventstore/index.js';
import { killChildren, runEcl, startEcl, tempFolder, waitFor } from '../cli/cliHarness.js';
import { startTestPostgres, type TestPostgres } from '../support/embeddedPostgres.js';
import { call, expectReadsSeeWritesAcrossNodes, KEY, readCalls, until } from './support/processes.js';

// scaleOut.e2e.test.ts on PostgreSQL: `ecl serve` and `ecl worker` processes sharing one schema.
let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

const cleanups: (() => void)[] = [];
afterEach(() => {
  killChildren();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const input = {
  instructions: 'Summarise the pilot.',
  documents: [{ name: 'pilot.md', text: 'The pilot ran for six weeks. Adoption reached 72 percent.' }],
};
const ENV = { ECL_LOG_LEVEL: 'warn', ECL_LEASE_TTL_MS: '1500' };

function folder(script: unknown) {
  const { dir, cleanup } = tempFolder();
  cleanups.push(cleanup);
  writeFileSync(join(dir, 'script.json'), JSON.stringify(script));
  return { dir, script: join(dir, 'script.json'), calls: join(dir, 'calls.jsonl'), store: server.schemaUrl('scale') };
}
type Setup = ReturnType<typeof folder>;

/** `ecl serve` on the shared schema (read models included), on a free 127.0.0.1 port; resolves once it listens. */
async function serveOn({ dir, script, calls, store }: Setup) {
  const args = ['serve', '--store', store, '--port', '0', '--llm', `script:${script}`, '--artifacts', join(dir, 'artifacts')];
  const started = startEcl(args, {
    cwd: dir,
    env: { ...ENV, ECL_API_KEYS: `ops:${KEY}=acme`, ECL_SCRIPT_CALL_LOG: calls },
  });
  await waitFor(() => /Recovered: /.test(started.output()), started.child, 'the serve banner', 60_000).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}: ${(await started.done).stderr}`, { cause: error });
  });
  const url = /ECL API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(started.output())![1]!;
  return { ...started, url };
}

async function stream(url: string, id: string) {
  const store = await openEventStore(url);
  try {
    return await store.readStream(workflowStream(id));
  } finally {
    await store.close();
  }
}
const startsOf = (records: Awaited<ReturnType<typeof stream>>) =>
  records
    .filter((record) => record.type === 'StepStarted')
    .map((record) => {
      const data = record.data as { step: string; iteration: number; attempt: number };
      return `${data.step}/${data.iteration}#${data.attempt}`;
    });
const callsOf = (file: string) => readCalls(file).map((logged) => `${logged.step}/${logged.iteration}#${logged.attempt}`);

it('two ecl serve on one PostgreSQL schema: the same start sent to both while the first call is in flight runs it once', async () => {
  const setup = folder({ steps: { extract: [{ iteration: 1, attempt: 1, text: 'facts', holdMs: 2_000 }] }, fallback: 'offline' });
  const one = await serveOn(setup);
  const two = await serveOn(setup);
  const body = { definition: 'brief', input, id: 'same-1' };
  expect((await call(one.url, 'POST', '/v1/workflows', body)).status).toBe(201);
  await until(() => readCalls(setup.calls).some((seen) => seen.step === 'extract'), 'the extract call');
  const again = await call(two.url, 'POST', '/v1/workflows?wait=60', body);
  expect(again.status, JSON.stringify(again.body)).toBe(200);
  expect(again.body.status).toBe('completed');
  const seen = callsOf(setup.calls);
  expect(seen.filter((logged) => logged.startsWith('extract'))).toEqual(['extract/1#1']);
  expect(new Set(seen).size).toBe(seen.length);
  expect(startsOf(await stream(setup.store, 'acme:same-1')).filter((start) => start.startsWith('extract'))).toEqual(['extract/1#1']);
  const workers = await call(two.url, 'GET', '/v1/workers');
  expect(workers.body.workers.filter((worker: { live: boolean }) => worker.live)).toHaveLength(2);
}, 120_000);

it('SIGKILL of the owner mid-step: an ecl worker on the same schema takes over and runs only the interrupted call again', async () => {
  const setup = folder({ steps: { draft: [{ iteration: 1, attempt: 1, text: 'never answered', holdMs: 'untilAborted' }] }, fallback: 'offline' });
  const one = await serveOn(setup);
  expect((await call(one.url, 'POST', '/v1/workflows', { definition: 'brief', input, id: 'kill-1' })).status).toBe(201);
  await until(() => readCalls(setup.calls).some((seen) => seen.step === 'draft'), 'the held draft call');
  const worker = startEcl(['worker', '--store', setup.store, '--llm', `script:${setup.script}`, '--artifacts', join(setup.dir, 'artifacts')], {
    cwd: setup.dir,
    env: { ...ENV, ECL_SCRIPT_CALL_LOG: setup.calls },
  });
  await waitFor(() => /Recovered: /.test(worker.output()), worker.child, 'the worker banner', 60_000).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}: ${(await worker.done).stderr}`, { cause: error });
  });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  process.kill(one.child.pid as number, 'SIGKILL');
  const killedAt = Date.now();
  await one.done;
  await until(() => readCalls(setup.calls).filter((seen) => seen.step === 'draft').length >= 2, 'the draft call again', 20_000);
  const failoverMs = Date.now() - killedAt;
  console.log(`failover on PostgreSQL: the interrupted call ran again ${failoverMs} ms after SIGKILL (lease TTL 1500 ms)`);
  expect(failoverMs).toBeLessThan(1_500 + 1_500);
  await until(async () => (await stream(setup.store, 'acme:kill-1')).at(-1)?.type === 'WorkflowCompleted', 'the workflow to complete');
  expect(callsOf(setup.calls)).toEqual(['extract/1#1', 'draft/1#1', 'draft/1#2', 'review/1#1', 'draft/2#1', 'review/2#1']);
  const completed = (await stream(setup.store, 'acme:kill-1'))
    .filter((record) => record.type === 'StepCompleted')
    .map((record) => `${(record.data as { step: string }).step}/${(record.data as { iteration: number }).iteration}`);
  expect(new Set(completed).size).toBe(completed.length);
  const listed = await runEcl(['workers', '--store', setup.store, '--json'], { cwd: setup.dir });
  const status = JSON.parse(listed.stdout) as { workers: { role: string; partitions: number[] }[] };
  expect(status.workers).toHaveLength(1);
  expect(status.workers[0]!.partitions).toHaveLength(64);
  worker.child.kill('SIGTERM');
  expect((await worker.done).code).toBe(0);
}, 120_000);

it('a write acknowledged by one node is in the very next read on the other; both read the read models in the shared schema', async () => {
  const setup = folder({ fallback: 'offline' });
  const one = await serveOn(setup);
  const two = await serveOn(setup);
  await expectReadsSeeWritesAcrossNodes(one, two, input);
}, 90_000);
