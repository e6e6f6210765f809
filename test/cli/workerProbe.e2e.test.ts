import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { killChildren, runEcl, startEcl, tempFolder, waitFor } from './cliHarness.js';

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempFolder());
});
afterAll(() => {
  killChildren();
  cleanup();
});

/** One sample of a Prometheus text exposition, e.g. `ecl_worker_partitions_held`. */
const sample = (text: string, name: string): number | undefined => {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
};

it('ecl worker --port serves /healthz and /metrics: its partitions, its heartbeat, and the appends, steps and model calls of the workflows it drives', async () => {
  const store = `sqlite:${join(dir, 'probe.db')}`;
  const worker = startEcl(['worker', '--store', store, '--port', '0'], { cwd: dir });
  await waitFor(() => /Probe: /.test(worker.output()), worker.child, 'the worker banner');
  const url = /Probe: (http:\/\/127\.0\.0\.1:\d+)\/healthz, \1\/metrics/.exec(worker.output())?.[1];
  expect(url, worker.output()).toBeDefined();
  try {
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ok', partitions: { held: 64, of: 64 }, leaseTtlMs: 4_000, store });
    expect(worker.output()).toContain(`Worker ${String(body.worker)}: 64 of 64 partitions`);

    // A client records the start; the worker drives it: the worker's figures count it.
    const run = await runEcl(['run', 'serial3', '--store', store, '--id', 'probed'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(sample(metrics, 'ecl_worker_partitions_held')).toBe(64);
    expect(sample(metrics, 'ecl_worker_partitions')).toBe(64);
    expect(sample(metrics, 'ecl_worker_heartbeat_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(metrics, 'ecl_store_appends_total')).toBeGreaterThan(0);
    for (const step of ['one', 'two', 'three'])
      expect(metrics).toMatch(new RegExp(`ecl_step_duration_seconds_count\\{definition="serial3",step="${step}",outcome="completed"\\} 1\\n`));
    expect(metrics).toMatch(/\nprocess_cpu_user_seconds_total /);
    // Aggregates only: no workflow id.
    expect(metrics).not.toContain('probed');
  } finally {
    process.kill(worker.child.pid as number, 'SIGTERM');
  }
  const ended = await worker.done;
  expect(ended.code).toBe(0);
  // A daemon logs at info by default, as ecl serve does (JSON lines off a terminal): joining, the
  // partitions it took and gave back; nothing worse than info.
  const logged = ended.stderr
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { level: string; message: string; service?: string });
  expect(logged.map((entry) => [entry.level, entry.service])).toEqual(logged.map(() => ['info', 'ecl']));
  expect(logged.map((entry) => entry.message)).toContain('Joined the cluster');
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
});

it('ecl worker refuses --host without --port, and a --port in use, naming it', async () => {
  const store = `sqlite:${join(dir, 'refused.db')}`;
  const hostOnly = await runEcl(['worker', '--store', store, '--host', '0.0.0.0'], { cwd: dir });
  expect(hostOnly.code).toBe(2);
  expect(hostOnly.stderr.trim()).toBe('--host is the interface for --port: give --port too');

  const first = startEcl(['worker', '--store', store, '--port', '0'], { cwd: dir });
  await waitFor(() => /Probe: /.test(first.output()), first.child, 'the worker banner');
  const port = /Probe: http:\/\/127\.0\.0\.1:(\d+)/.exec(first.output())?.[1] ?? '';
  try {
    const taken = await runEcl(['worker', '--store', `sqlite:${join(dir, 'other.db')}`, '--port', port], { cwd: dir });
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(new RegExp(`ecl worker: cannot serve --port ${port}: .*EADDRINUSE`));
    // ecl serve on a port in use says what to do, with the usage exit code, not a bare listen error.
    const serve = await runEcl(['serve', '--store', `sqlite:${join(dir, 'served.db')}`, '--port', port], { cwd: dir });
    expect(serve.code).toBe(2);
    // Refused before it joined the workers on its store or recovered anything.
    expect(`${serve.stdout}${serve.stderr}`).not.toMatch(/Joined|Recovered|Partitions taken/);
    expect(serve.stderr).toContain(
      `ecl serve: cannot listen on 127.0.0.1:${port} (in use: another ecl serve?): choose another port with --port <n> or ECL_PORT (0 picks a free one)`,
    );
  } finally {
    process.kill(first.child.pid as number, 'SIGTERM');
  }
  expect((await first.done).code).toBe(0);
});
