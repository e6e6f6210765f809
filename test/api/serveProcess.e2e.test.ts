import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { killChildren, runEcl, startEcl, tempFolder, waitFor } from '../cli/cliHarness.js';
import { openSse } from './support/http.js';
import { HOLD_DRAFT, briefInput, eventually } from './support/testServer.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  killChildren();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const KEY = 'process-test-key-1';

async function serve(dir: string, script: string) {
  const args = ['serve', '--store', `sqlite:${join(dir, 'ecl.db')}`, '--port', '0', '--llm', `script:${script}`, '--artifacts', join(dir, 'artifacts')];
  const process = startEcl(args, { cwd: dir, env: { ECL_API_KEYS: `ops:${KEY}=acme`, ECL_LOG_LEVEL: 'warn' } });
  await waitFor(() => /Recovered: /.test(process.output()), process.child, 'the start banner');
  const url = /ECL API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(process.output())![1]!;
  return { ...process, url };
}

const call = async (url: string, method: string, path: string, body?: unknown) => {
  const response = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as any };
};

it('stops gracefully on SIGTERM mid-run (exit 0) and finishes the workflow after a restart', async () => {
  const { dir, cleanup } = tempFolder();
  cleanups.push(cleanup);
  const script = join(dir, 'script.json');
  writeFileSync(script, JSON.stringify(HOLD_DRAFT));

  const first = await serve(dir, script);
  expect(first.output()).toMatch(/Store: sqlite/);
  expect(first.output()).toMatch(/LLM: scripted answers/);
  expect((await call(first.url, 'POST', '/v1/workflows', { definition: 'brief', input: briefInput(), id: 'restart-1' })).status).toBe(201);
  await eventually(async () => {
    const { body } = await call(first.url, 'GET', '/v1/workflows/restart-1');
    return body.currentStep === 'draft' && body.status === 'running' ? true : undefined;
  }, 'the held draft step');
  process.kill(first.child.pid as number, 'SIGTERM');
  const stopped = await first.done;
  expect(stopped.code).toBe(0);
  expect(stopped.stdout).toMatch(/SIGTERM: stopping/);

  // The draft call was in flight: no outcome was recorded, so the restarted server runs it again (attempt 2 is answered).
  const second = await serve(dir, script);
  expect(second.output()).toMatch(/Recovered: 1 resumed/);
  const sse = openSse(second.url, '/v1/workflows/restart-1/stream', { authorization: `Bearer ${KEY}` });
  await sse.ended;
  const transitions = sse.messages.filter((m) => m.event === 'transition').map((m) => m.data as { type: string; data: { step?: string; attempt?: number } });
  expect(transitions.at(-1)?.type).toBe('WorkflowCompleted');
  const draftStarts = transitions.filter((t) => t.type === 'StepStarted' && t.data.step === 'draft').map((t) => t.data.attempt);
  expect(draftStarts.slice(0, 2)).toEqual([1, 2]);
  expect((await call(second.url, 'GET', '/v1/workflows/restart-1')).body.status).toBe('completed');
  process.kill(second.child.pid as number, 'SIGINT');
  expect((await second.done).code).toBe(0);
});

it('refuses to serve an open API on a non-loopback host', async () => {
  const { dir, cleanup } = tempFolder();
  cleanups.push(cleanup);
  const result = await runEcl(['serve', '--store', 'memory:', '--host', '0.0.0.0', '--port', '0'], { cwd: dir });
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(/Refusing to listen on 0\.0\.0\.0/);
  expect(result.stdout).not.toMatch(/listening/);
});
