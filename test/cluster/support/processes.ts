import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
