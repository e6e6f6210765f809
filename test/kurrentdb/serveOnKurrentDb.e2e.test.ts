import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { workflowStream } from '../../src/eventstore/index.js';
import { HOLD_DRAFT, briefInput, eventually } from '../api/support/testServer.js';
import { killChildren, startEcl, tempFolder, waitFor } from '../cli/cliHarness.js';
import { startFakeKurrentDbServer, type FakeKurrentDbServer } from './support/fakeKurrentDbServer.js';

const KEY = 'kurrentdb-e2e-key-1';

describe('`ecl serve --store kurrentdb://…` end to end on the gRPC test server (not a real KurrentDB)', () => {
  let kurrent: FakeKurrentDbServer;
  let dir: string;
  let cleanup: () => void;

  beforeEach(async () => {
    kurrent = await startFakeKurrentDbServer();
    ({ dir, cleanup } = tempFolder());
  });
  afterEach(async () => {
    killChildren();
    await kurrent.close();
    cleanup();
  });

  async function serve(script: string) {
    const args = [
      'serve',
      '--store',
      kurrent.url,
      '--port',
      '0',
      '--llm',
      `script:${script}`,
      '--artifacts',
      join(dir, 'artifacts'),
      '--projections',
      join(dir, 'projections.db'),
    ];
    const ecl = startEcl(args, { cwd: dir, env: { ECL_API_KEYS: `ops:${KEY}=acme`, ECL_LOG_LEVEL: 'warn' } });
    await waitFor(() => /Recovered: /.test(ecl.output()), ecl.child, 'the start banner');
    const url = /ECL API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(ecl.output())![1]!;
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as { status?: string; currentStep?: string } };
    };
    const heldAtDraft = (id: string) =>
      eventually(async () => {
        const { body } = await call('GET', `/v1/workflows/${id}`);
        return body.currentStep === 'draft' && body.status === 'running' ? true : undefined;
      }, `${id} at its held draft step`);
    return { ...ecl, call, heldAtDraft };
  }

  /** Each step completed once, in order, in what the (test) KurrentDB server holds; the API keeps tenant `acme`'s ids as `acme:<id>`. */
  const completedSteps = (id: string) =>
    (kurrent.log.stream(workflowStream(id)) ?? [])
      .filter((event) => event.type === 'StepCompleted')
      .map((event) => JSON.parse(Buffer.from(event.data).toString('utf8')) as { step: string; iteration: number })
      .map((data) => `${data.step}/${data.iteration}`);

  it('runs brief through a connection cut and a KurrentDB restart, survives SIGKILL of ECL, and finishes after ECL restarts', async () => {
    const script = join(dir, 'script.json');
    writeFileSync(script, JSON.stringify(HOLD_DRAFT));

    const first = await serve(script);
    expect(first.output()).toContain(`Store: KurrentDB at ${kurrent.url.replace(/\?.*/, '')}`);
    expect((await first.call('POST', '/v1/workflows', { definition: 'brief', input: briefInput(), id: 'kdb-1' })).status).toBe(201);
    await first.heldAtDraft('kdb-1');

    // Every connection to KurrentDB is cut: the projections' subscription must resume by itself.
    kurrent.dropConnections();
    expect((await first.call('POST', '/v1/workflows', { definition: 'brief', input: briefInput(), id: 'kdb-2' })).status).toBe(201);
    await first.heldAtDraft('kdb-2');

    // KurrentDB goes away and comes back (a server restart that keeps its data).
    await kurrent.stop();
    await kurrent.start();
    await eventually(async () => {
      const { status } = await first.call('POST', '/v1/workflows', { definition: 'brief', input: briefInput(), id: 'kdb-3' });
      return status === 201 || status === 200 ? true : undefined;
    }, 'kdb-3 started once KurrentDB is back');
    await first.heldAtDraft('kdb-3');

    process.kill(first.child.pid as number, 'SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');

    const second = await serve(script);
    expect(second.output()).toMatch(/Recovered: 3 resumed/);
    for (const id of ['kdb-1', 'kdb-2', 'kdb-3']) {
      await eventually(async () => ((await second.call('GET', `/v1/workflows/${id}`)).body.status === 'completed' ? true : undefined), `${id} completed`);
      expect(completedSteps(`acme:${id}`)).toEqual(['extract/1', 'draft/1', 'review/1', 'draft/2', 'review/2', 'load/1']);
      expect(kurrent.log.stream(workflowStream(`acme:${id}`))?.at(-1)?.type).toBe('WorkflowCompleted');
    }
    process.kill(second.child.pid as number, 'SIGTERM');
    expect((await second.done).code).toBe(0);
  });
});
