import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openEventStore, workflowStream } from '../../src/eventstore/index.js';
import { killChildren, runEcl, startEcl, tempFolder } from '../cli/cliHarness.js';
import { call, expectReadsSeeWritesAcrossNodes, readCalls, serveOn, until } from './support/processes.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  killChildren();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const input = {
  instructions: 'Summarise the pilot.',
  documents: [{ name: 'pilot.md', text: 'The pilot ran for six weeks. Adoption reached 72 percent.' }],
};

function folder(script: unknown) {
  const { dir, cleanup } = tempFolder();
  cleanups.push(cleanup);
  writeFileSync(join(dir, 'script.json'), JSON.stringify(script));
  return { dir, script: join(dir, 'script.json'), calls: join(dir, 'calls.jsonl') };
}

async function stream(dir: string, id: string) {
  const store = await openEventStore(`sqlite:${join(dir, 'ecl.db')}`);
  try {
    return await store.readStream(workflowStream(id));
  } finally {
    await store.close();
  }
}
const startsOf = (records: Awaited<ReturnType<typeof stream>>) =>
  records
    .filter((record) => record.type === 'StepStarted')
    .map(
      (record) =>
        `${(record.data as { step: string }).step}/${(record.data as { iteration: number }).iteration}#${(record.data as { attempt: number }).attempt}`,
    );

it('two ecl serve on one SQLite file: the same start sent to both while the first call is in flight runs it once', async () => {
  const { dir, script, calls } = folder({ steps: { extract: [{ iteration: 1, attempt: 1, text: 'facts', holdMs: 2_000 }] }, fallback: 'offline' });
  const one = await serveOn(dir, script, calls);
  const two = await serveOn(dir, script, calls);
  const body = { definition: 'brief', input, id: 'same-1' };
  expect((await call(one.url, 'POST', '/v1/workflows', body)).status).toBe(201);
  await until(() => readCalls(calls).some((seen) => seen.step === 'extract'), 'the extract call');
  const again = await call(two.url, 'POST', '/v1/workflows?wait=60', body);
  expect(again.status, JSON.stringify(again.body)).toBe(200);
  expect(again.body.status).toBe('completed');
  const seen = readCalls(calls).map((logged) => `${logged.step}/${logged.iteration}#${logged.attempt}`);
  expect(seen.filter((logged) => logged.startsWith('extract'))).toEqual(['extract/1#1']);
  expect(new Set(seen).size).toBe(seen.length);
  expect(startsOf(await stream(dir, 'acme:same-1')).filter((start) => start.startsWith('extract'))).toEqual(['extract/1#1']);
  // Both list each other.
  const workers = await call(two.url, 'GET', '/v1/workers');
  expect(workers.body.workers.filter((worker: { live: boolean }) => worker.live)).toHaveLength(2);
}, 90_000);

it('two ecl run --id X started at once on one store call the model once per step', async () => {
  const { dir, script, calls } = folder({ steps: { extract: [{ iteration: 1, attempt: 1, text: 'facts', holdMs: 500 }] }, fallback: 'offline' });
  const args = ['run', 'brief', '--input', JSON.stringify(input), '--id', 'twin-1', '--store', `sqlite:${join(dir, 'ecl.db')}`, '--llm', `script:${script}`];
  const env = { ECL_SCRIPT_CALL_LOG: calls, ECL_LEASE_TTL_MS: '1500' };
  const [a, b] = await Promise.all([runEcl(args, { cwd: dir, env }), runEcl(args, { cwd: dir, env })]);
  expect([a.code, b.code]).toEqual([0, 0]);
  const seen = readCalls(calls).map((logged) => `${logged.step}/${logged.iteration}#${logged.attempt}`);
  expect(seen).toEqual(['extract/1#1', 'draft/1#1', 'review/1#1', 'draft/2#1', 'review/2#1']);
  expect(startsOf(await stream(dir, 'twin-1'))).toEqual(['extract/1#1', 'draft/1#1', 'review/1#1', 'draft/2#1', 'review/2#1', 'load/1#1']);
}, 90_000);

it('SIGKILL of the owner mid-step: another worker takes over within the TTL and runs only the interrupted call again', async () => {
  const { dir, script, calls } = folder({
    steps: { draft: [{ iteration: 1, attempt: 1, text: 'never answered', holdMs: 'untilAborted' }] },
    fallback: 'offline',
  });
  const one = await serveOn(dir, script, calls);
  expect((await call(one.url, 'POST', '/v1/workflows', { definition: 'brief', input, id: 'kill-1' })).status).toBe(201);
  await until(() => readCalls(calls).some((seen) => seen.step === 'draft'), 'the held draft call');
  // A worker-only process joins; it gets half the partitions, not the busy one.
  const worker = startEcl(['worker', '--store', `sqlite:${join(dir, 'ecl.db')}`, '--llm', `script:${script}`, '--artifacts', join(dir, 'artifacts')], {
    cwd: dir,
    env: { ECL_SCRIPT_CALL_LOG: calls, ECL_LEASE_TTL_MS: '1500' },
  });
  await until(() => /Recovered: /.test(worker.output()), 'the worker banner');
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  process.kill(one.child.pid as number, 'SIGKILL');
  const killedAt = Date.now();
  await one.done;
  await until(() => readCalls(calls).filter((seen) => seen.step === 'draft').length >= 2, 'the draft call again', 20_000);
  const failoverMs = Date.now() - killedAt;
  console.log(`failover: the interrupted call ran again ${failoverMs} ms after SIGKILL (lease TTL 1500 ms)`);
  expect(failoverMs).toBeLessThan(1_500 + 1_500);
  await until(async () => (await stream(dir, 'acme:kill-1')).at(-1)?.type === 'WorkflowCompleted', 'the workflow to complete').catch(async (error: unknown) => {
    console.log(
      (await stream(dir, 'acme:kill-1')).map((r) => `${r.type} ${JSON.stringify(r.data).slice(0, 80)}`).join('\n'),
      readCalls(calls),
      worker.output(),
    );
    throw error;
  });
  const seen = readCalls(calls).map((logged) => `${logged.step}/${logged.iteration}#${logged.attempt}`);
  expect(seen).toEqual(['extract/1#1', 'draft/1#1', 'draft/1#2', 'review/1#1', 'draft/2#1', 'review/2#1']);
  const records = await stream(dir, 'acme:kill-1');
  const completed = records.filter((record) => record.type === 'StepCompleted').map((record) => (record.data as { step: string }).step);
  expect(new Set(completed.map((step, index) => `${step}${completed.slice(0, index).filter((s) => s === step).length}`)).size).toBe(completed.length);
  const listed = await runEcl(['workers', '--store', `sqlite:${join(dir, 'ecl.db')}`, '--json'], { cwd: dir });
  const status = JSON.parse(listed.stdout) as { workers: { role: string; partitions: number[] }[] };
  expect(status.workers).toHaveLength(1);
  expect(status.workers[0]!.partitions).toHaveLength(64);
}, 120_000);

/** Long enough for the second server to start (slow under load) before the first call is answered. */
const HOLD_MS = 8_000;

it('a hung owner (SIGSTOP) loses its leases after the TTL; woken up, its late outcome is discarded', async () => {
  const { dir, script, calls } = folder({ steps: { draft: [{ iteration: 1, attempt: 1, text: 'late draft', holdMs: HOLD_MS }] }, fallback: 'offline' });
  const one = await serveOn(dir, script, calls);
  expect((await call(one.url, 'POST', '/v1/workflows', { definition: 'brief', input, id: 'hung-1' })).status).toBe(201);
  await until(() => readCalls(calls).some((seen) => seen.step === 'draft'), 'the draft call');
  const calledAt = Date.now();
  const two = await serveOn(dir, script, calls);
  process.kill(one.child.pid as number, 'SIGSTOP');
  const stoppedAt = Date.now();
  try {
    // Alive but silent: no eviction, the lease runs out after its TTL and the other worker runs the step again.
    await until(() => readCalls(calls).filter((seen) => seen.step === 'draft' && seen.iteration === 1).length >= 2, 'the draft call again', 20_000);
    const failoverMs = Date.now() - stoppedAt;
    console.log(`failover from a hung owner: ${failoverMs} ms after SIGSTOP (lease TTL 1500 ms)`);
    // The lease runs out a TTL after its last renewal, which came up to TTL/4 before the stop.
    expect(failoverMs).toBeGreaterThanOrEqual(1_500 * 0.75 - 100);
    expect(failoverMs).toBeLessThan(1_500 + 2_000);
    await until(async () => (await stream(dir, 'acme:hung-1')).at(-1)?.type === 'WorkflowCompleted', 'the workflow to complete');
  } finally {
    process.kill(one.child.pid as number, 'SIGCONT');
  }
  // The old owner wakes; once its draft is answered, the outcome must not land.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, calledAt + HOLD_MS + 1_500 - Date.now())));
  const records = await stream(dir, 'acme:hung-1');
  const drafts = records.filter((record) => record.type === 'StepCompleted' && (record.data as { step: string }).step === 'draft');
  expect(drafts.map((record) => `${(record.data as { iteration: number }).iteration}#${(record.data as { attempt: number }).attempt}`)).toEqual(['1#2', '2#1']);
  expect(records.at(-1)?.type).toBe('WorkflowCompleted');
  // ...and it rejoins: its next heartbeat (after SIGCONT, whenever its timers fire) records it live again.
  const live = async () => (await call(two.url, 'GET', '/v1/workers')).body.workers.filter((worker: { live: boolean }) => worker.live).length;
  await until(async () => (await live()) === 2, 'the woken worker to be live again');
}, 120_000);

it('a write acknowledged by one node is in the very next read on the other (read-your-writes across nodes)', async () => {
  const { dir, script, calls } = folder({ fallback: 'offline' });
  const one = await serveOn(dir, script, calls);
  const two = await serveOn(dir, script, calls);
  await expectReadsSeeWritesAcrossNodes(one, two, input);
}, 90_000);
