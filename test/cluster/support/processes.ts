import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startEcl, waitFor } from '../../cli/cliHarness.js';

export const KEY = 'cluster-test-key-1';

export interface LoggedCall {
  step: string;
  iteration: number;
  attempt: number;
}

/** The scripted model's call log (one JSON line per call, from every process). */
export const readCalls = (file: string): LoggedCall[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LoggedCall)
    : [];

/** `ecl serve` on the shared file, on a free 127.0.0.1 port; resolves once it listens. */
export async function serveOn(dir: string, script: string, calls: string, env: Record<string, string> = {}) {
  const args = ['serve', '--store', `sqlite:${join(dir, 'ecl.db')}`, '--port', '0', '--llm', `script:${script}`, '--artifacts', join(dir, 'artifacts')];
  const started = startEcl(args, {
    cwd: dir,
    env: { ECL_API_KEYS: `ops:${KEY}=acme`, ECL_LOG_LEVEL: 'warn', ECL_SCRIPT_CALL_LOG: calls, ECL_LEASE_TTL_MS: '1500', ...env },
  });
  await waitFor(() => /Recovered: /.test(started.output()), started.child, 'the serve banner', 60_000);
  const url = /ECL API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(started.output())![1]!;
  return { ...started, url };
}

export const call = async (url: string, method: string, path: string, body?: unknown) => {
  const response = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as any };
};

export async function until(probe: () => boolean | Promise<boolean>, what: string, limitMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > limitMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A node as the cluster e2e tests start it: its URL and its process. */
export interface ServeNode {
  url: string;
  child: { kill(signal: NodeJS.Signals): boolean };
  done: Promise<{ stdout: string; stderr: string }>;
}

/**
 * Starts a workflow on one node and reads it on the other, alternating, `rounds` times: every read
 * must include the acknowledged write. Then stops both nodes and checks neither served a read stale
 * after waiting out the read-your-writes timeout (they log that, on stderr).
 */
export async function expectReadsSeeWritesAcrossNodes(one: ServeNode, two: ServeNode, input: unknown, rounds = 30): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const [writer, reader] = round % 2 === 0 ? [one, two] : [two, one];
    const started = await call(writer.url, 'POST', '/v1/workflows', { definition: 'brief', input, id: `ryw-${round}` });
    expect(started.status).toBe(201);
    const read = await call(reader.url, 'GET', `/v1/workflows/ryw-${round}`);
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(read.body.revision).toBeGreaterThanOrEqual(started.body.revision);
  }
  await expectSameListOnBothNodes(one, two);
  one.child.kill('SIGTERM');
  two.child.kill('SIGTERM');
  const logs = (await Promise.all([one.done, two.done])).map((run) => run.stdout + run.stderr).join('\n');
  expect(logs).toMatch(/Recovered: /);
  expect(logs).not.toMatch(/read served before the projection reached the log head/);
}

/**
 * `GET /v1/workflows` answers the same on both nodes (on PostgreSQL they read the same tables; on
 * SQLite each its own file, caught up to the log's head). Workflows still moving may change between
 * two reads, so it compares once one node's list read before and after the other's is unchanged.
 */
export async function expectSameListOnBothNodes(one: ServeNode, two: ServeNode): Promise<void> {
  const list = async (node: ServeNode) => (await call(node.url, 'GET', '/v1/workflows?limit=1000')).body;
  for (let attempt = 0; ; attempt++) {
    const before = await list(one);
    const other = await list(two);
    const after = await list(one);
    if (JSON.stringify(before) === JSON.stringify(after) || attempt === 50) {
      expect(other).toEqual(after);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
