import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { killChildren, runEcl, SAMPLE_WORKFLOWS, startEcl, tempFolder, waitFor } from './cliHarness.js';

/** `family` → `middle` → `leaf`: definitions the sample worker does not have. */
const FAMILY = resolve(import.meta.dirname, 'fixtures/family.ts');

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempFolder());
});
afterAll(() => {
  killChildren();
  cleanup();
});

/** Starts `ecl worker` on `store` with `workflows`, resolved once it has joined; `stop` ends it by its pid. */
async function startWorker(store: string, workflows: string) {
  const worker = startEcl(['worker', '--store', store], { cwd: dir, env: { ECL_WORKFLOWS: workflows } });
  await waitFor(() => /Recovered: /.test(worker.output()), worker.child, 'the worker banner');
  return {
    async stop() {
      process.kill(worker.child.pid as number, 'SIGTERM');
      expect((await worker.done).code).toBe(0);
    },
  };
}

it('ecl run refuses, before recording anything, a workflow the worker that would drive it cannot load', async () => {
  const store = `sqlite:${join(dir, 'lacking.db')}`;
  const worker = await startWorker(store, SAMPLE_WORKFLOWS);
  try {
    const run = await runEcl(['run', 'family', '--id', 'fam-w', '--input', '{"name":"x"}', '--store', store], { cwd: dir, env: { ECL_WORKFLOWS: FAMILY } });
    expect(run.code, run.stdout).toBe(2);
    expect(run.stderr).toMatch(/family v1 would be driven by worker \S+ \(pid \d+ on \S+\), which does not have it \(it has: brief v1, serial3 v1\)\./);
    expect(run.stderr).toMatch(/Nothing was recorded\. Give that worker the module that defines family/);
    const status = await runEcl(['status', '--json', '--store', store], { cwd: dir, env: { ECL_WORKFLOWS: FAMILY } });
    expect((JSON.parse(status.stdout) as { workflows: { total: number } }).workflows.total).toBe(0);
  } finally {
    await worker.stop();
  }
});

it('with a worker that has the definitions, ecl run records the start and the worker drives it, children included', async () => {
  const store = `sqlite:${join(dir, 'having.db')}`;
  const worker = await startWorker(store, FAMILY);
  try {
    const run = await runEcl(['run', 'family', '--id', 'fam-h', '--input', '{"name":"y"}', '--store', store, '--follow'], {
      cwd: dir,
      env: { ECL_WORKFLOWS: FAMILY },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // Its --llm and code are not the ones that run the workflow: it says whose are.
    expect(run.stdout).toMatch(/\nDriven by worker \S+ \(pid \d+ on \S+\): its model and step code run fam-h, not this command's \(--llm, --workflows\)\n/);
    // --follow shows every transition the worker recorded, the last ones too (they once raced the settled view and were lost).
    const shown = run.stdout.split('\n').filter((line) => line.startsWith('  '));
    expect(shown.map((line) => line.replace(/\s+/g, ' ').trim())).toEqual([
      'workflow started family v1',
      'callMiddle #1 started',
      'callMiddle #1 call 1 "middle"',
      'callMiddle #1 done',
      'finish #1 started',
      'finish #1 done',
      'workflow completed',
    ]);
    expect(run.stdout).toMatch(/\nCompleted fam-h/);
    const status = await runEcl(['status', 'fam-h', '--json', '--store', store], { cwd: dir, env: { ECL_WORKFLOWS: FAMILY } });
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'completed', output: 'family: middle of leaf of y' });
  } finally {
    await worker.stop();
  }
});
