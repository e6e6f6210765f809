import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openEventStore, workflowStream } from '../../src/eventstore/index.js';
import { killChildren, runEcl, startEcl, tempFolder, waitFor } from './cliHarness.js';

const RESEARCH = resolve(import.meta.dirname, '../../examples/research/research.ts');

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  killChildren();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The sources research fetches, on 127.0.0.1: counts every request; the first request for /survey is never answered. */
async function startSources(): Promise<{ url: string; requests: Map<string, number> }> {
  const requests = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '/';
    const seen = (requests.get(path) ?? 0) + 1;
    requests.set(path, seen);
    if (path === '/survey' && seen === 1) return; // held: the process is killed while it waits
    response
      .writeHead(200, { 'content-type': 'text/plain' })
      .end(path === '/pilot' ? 'Pages per engineer fell 40 percent in the pilot.' : '72 percent of 31 engineers want to keep the shared rotation.');
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((closed) => server.close(() => closed()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

interface LoggedCall {
  step: string;
  iteration: number;
  attempt: number;
}

it("SIGKILL during a step's third journaled call: the same id resumes, no recorded call runs again, the interrupted call runs exactly once more", async () => {
  const { dir, cleanup } = tempFolder();
  cleanups.push(cleanup);
  const sources = await startSources();
  const input = join(dir, 'input.json');
  const script = join(dir, 'script.json');
  const calls = join(dir, 'calls.jsonl');
  // gather's calls: fetch pilot, notes pilot (model), fetch survey (the third: held by the server), notes survey (model).
  writeFileSync(
    input,
    JSON.stringify({
      question: 'Keep the shared rotation?',
      sources: [
        { name: 'pilot', url: `${sources.url}/pilot` },
        { name: 'survey', url: `${sources.url}/survey` },
      ],
    }),
  );
  writeFileSync(script, JSON.stringify({ steps: {}, fallback: 'offline' }));
  const store = `sqlite:${join(dir, 'ecl.db')}`;
  const args = [
    'run',
    'research',
    '--input',
    `@${input}`,
    '--id',
    'journal-1',
    '--store',
    store,
    '--llm',
    `script:${script}`,
    '--artifacts',
    join(dir, 'artifacts'),
    '--follow',
  ];
  const env = { ECL_WORKFLOWS: RESEARCH, ECL_SCRIPT_CALL_LOG: calls };
  const readCalls = (): LoggedCall[] =>
    existsSync(calls)
      ? readFileSync(calls, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as LoggedCall)
      : [];

  const first = startEcl(args, { cwd: dir, env });
  await waitFor(() => sources.requests.get('/survey') === 1, first.child, 'the held fetch of /survey');
  // The first two calls were recorded before the third began (persist, then act).
  expect(first.output()).toMatch(/gather\s+#1\s+call 2\s+"notes pilot"/);
  process.kill(first.child.pid as number, 'SIGKILL');
  expect((await first.done).signal).toBe('SIGKILL');

  const second = await runEcl(args, { cwd: dir, env });
  expect(second.stderr).toBe('');
  expect(second.code).toBe(0);
  expect(second.stdout).toMatch(/Resuming research v1 at gather\.running/);
  expect(second.stdout).toMatch(/gather\s+#1\s+started\s+attempt 2/);

  const opened = await openEventStore(store);
  try {
    const records = await opened.readStream(workflowStream('journal-1'));
    const journaled = records
      .filter((record) => record.type === 'CallCompleted')
      .map((record) => record.data as { step: string; call: string; seq: number; attempt: number });
    expect(journaled.map((call) => `${call.step} ${call.seq} ${call.call} #${call.attempt}`)).toEqual([
      'gather 0 fetch pilot #1',
      'gather 1 notes pilot #1',
      'gather 2 fetch survey #2',
      'gather 3 notes survey #2',
      'answer 0 answer #1',
    ]);
    const starts = records.filter((record) => record.type === 'StepStarted').map((record) => record.data as { step: string; attempt: number });
    expect(starts.map((start) => `${start.step}#${start.attempt}`)).toEqual(['gather#1', 'gather#2', 'answer#1']);
    expect(records.at(-1)?.type).toBe('WorkflowCompleted');
  } finally {
    await opened.close();
  }

  // No recorded call ran twice; the interrupted one ran exactly once more.
  expect(Object.fromEntries(sources.requests)).toEqual({ '/pilot': 1, '/survey': 2 });
  expect(readCalls().map((call) => `${call.step}/${call.iteration}#${call.attempt}`)).toEqual(['gather/1#1', 'gather/1#2', 'answer/1#1']);

  // The history replays with zero model calls and verifies; the audit trail names every call.
  const verified = await runEcl(['replay', 'journal-1', '--verify', '--store', store], { cwd: dir, env: { ECL_WORKFLOWS: RESEARCH } });
  expect(verified.code, verified.stderr).toBe(0);
  expect(readCalls()).toHaveLength(3);
  const audit = await runEcl(['audit', 'journal-1', '--store', store], { cwd: dir, env: { ECL_WORKFLOWS: RESEARCH } });
  expect(audit.code, audit.stderr).toBe(0);
  expect(audit.stdout).toMatch(/gather call 3 "fetch survey" returned: 72 percent.* \(attempt 2\)/);
  expect(audit.stdout).toMatch(/gather model call 2 "notes pilot" returned: /);
});
