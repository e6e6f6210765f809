import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killChildren, runEcl, startEcl, tempFolder, waitFor } from './cliHarness.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FANOUT = join(ROOT, 'examples/fanout/fanout.ts');
/** `family` → `middle` → `leaf`, the leaf's step held by a gate file. */
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

interface StatusJson {
  workflows: { total: number; byStatus: Record<string, number> };
}

describe('ecl run drives the child workflows of the workflow it runs (no worker needed)', () => {
  it.each(['sqlite', 'memory'])("examples/fanout's documented command completes on the %s store", async (kind) => {
    const store = kind === 'sqlite' ? `sqlite:${join(dir, 'fanout.db')}` : 'memory:';
    const run = await runEcl(
      ['run', 'digest', '--workflows', FANOUT, '--input', `@${join(ROOT, 'examples/fanout/input.json')}`, '--store', store, '--follow'],
      {
        cwd: dir,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/read +#1 +done/);
    expect(run.stdout).toMatch(/\nCompleted \S+ \(/);
    if (kind !== 'sqlite') return;
    // The parent and one child per document (input.json has four), every one of them finished.
    const status = JSON.parse((await runEcl(['status', '--json', '--workflows', FANOUT, '--store', store], { cwd: dir })).stdout) as StatusJson;
    expect(status.workflows).toMatchObject({ total: 5, byStatus: { completed: 5 } });
    // The parent's audit adds up its children: one line each, then the family's total.
    const parentId = /\nCompleted (\S+) \(/.exec(run.stdout)?.[1] as string;
    const audit = await runEcl(['audit', parentId, '--workflows', FANOUT, '--store', store], { cwd: dir });
    expect(audit.code).toBe(0);
    expect(audit.stdout).toContain('child workflows: 4 (ecl audit <id> shows each)');
    expect(audit.stdout.match(new RegExp(`^  ${parentId.replaceAll('.', '\\.')}\\.\\S+ · readDocument · completed · `, 'gm'))).toHaveLength(4);
    expect(audit.stdout).toMatch(/\nwith child workflows: \d+ model calls · /);
    // The run's closing line counts the family as the audit does.
    const runTotal = /\nWith 4 child workflows \(4 completed\): (.+) in all \(ecl audit \S+ lists each\)\n/.exec(run.stdout)?.[1];
    const auditTotal = /\nwith child workflows: (.+)\n/.exec(audit.stdout)?.[1];
    expect(runTotal).toMatch(/^\d+ model calls · \d+ in \/ \d+ out tokens · \$\d+\.\d{4}$/);
    expect(runTotal).toBe(auditTotal);
  });

  it('a child started without waiting is driven to its end before the run exits, then counted', async () => {
    const store = `sqlite:${join(dir, 'herald.db')}`;
    const gate = join(dir, 'herald.gate');
    const env = { ECL_WORKFLOWS: FAMILY };
    const run = startEcl(['run', 'herald', '--id', 'her-1', '--input', JSON.stringify({ name: 'x', gate }), '--store', store], { cwd: dir, env });
    // The parent completes at once; its child's step waits for the gate, and the run waits for the child.
    await waitFor(() => run.output().includes('to come to rest'), run.child, 'the run waiting for the child');
    expect(run.output()).toMatch(
      /\nCompleted her-1 \(0 tokens, \$0\.0000\)\nWaiting for child workflow (her-1\.notify-[0-9a-f]{12}) \(leaf\) to come to rest\n/,
    );
    writeFileSync(gate, 'open');
    const done = await run.done;
    expect(done.code).toBe(0);
    expect(done.stderr).toBe('');
    expect(done.stdout).toMatch(
      /\nWith 1 child workflow \(1 completed\): 0 model calls · 0 in \/ 0 out tokens · \$0\.0000 in all \(ecl audit her-1 lists each\)\n$/,
    );
    const status = JSON.parse((await runEcl(['status', '--json', '--store', store], { cwd: dir, env })).stdout) as StatusJson;
    expect(status.workflows).toMatchObject({ total: 2, byStatus: { completed: 2 } });
  });

  it('a child started without waiting is driven until it goes to sleep, then left asleep with when it wakes: the run does not wait an hour', async () => {
    const store = `sqlite:${join(dir, 'waker.db')}`;
    const gate = join(dir, 'waker.gate');
    const env = { ECL_WORKFLOWS: FAMILY };
    const run = startEcl(['run', 'waker', '--id', 'wak-1', '--input', JSON.stringify({ name: 'x', gate }), '--store', store], { cwd: dir, env });
    // The child's first step is held: the run drives it, then its sleep begins and the run is done.
    await waitFor(() => run.output().includes('to come to rest'), run.child, 'the run driving the child');
    writeFileSync(gate, 'open');
    const done = await run.done;
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(
      /\nCompleted wak-1 \(0 tokens, \$0\.0000\)\nWaiting for child workflow (wak-1\.nap-[0-9a-f]{12}) \(sleeper\) to come to rest\nChild workflow \1 \(sleeper\) sleeps until \d{4}-\d\d-\d\dT[\d:.]+Z; it wakes in whichever engine runs it then \(ecl serve, ecl worker, or ecl run sleeper --id \1\)\nWith 1 child workflow \(1 running\): .+\n {2}\1 · sleeper · running\n$/,
    );
    const status = JSON.parse((await runEcl(['status', '--json', '--store', store], { cwd: dir, env })).stdout) as StatusJson;
    expect(status.workflows).toMatchObject({ total: 2, byStatus: { completed: 1, running: 1 } });
  });

  it('a run killed while a grandchild works is resumed by the same command: the same child and grandchild finish, no second one is started', async () => {
    const store = `sqlite:${join(dir, 'family.db')}`;
    const gate = join(dir, 'family.gate');
    const log = join(dir, 'family.log');
    const args = ['run', 'family', '--id', 'fam-1', '--input', JSON.stringify({ name: 'x', gate, log }), '--store', store, '--follow'];
    const env = { ECL_WORKFLOWS: FAMILY };
    const ranLeaf = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);

    const first = startEcl(args, { cwd: dir, env });
    await waitFor(() => ranLeaf().length === 1, first.child, "the grandchild's step running");
    process.kill(first.child.pid as number, 'SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');

    writeFileSync(gate, 'open');
    const second = await runEcl(args, { cwd: dir, env });
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/Resuming family v1 at callMiddle\.running/);
    expect(second.stdout).toMatch(/\nCompleted fam-1/);

    // One grandchild, whose interrupted step ran exactly once more.
    const leafRuns = ranLeaf();
    expect(leafRuns).toHaveLength(2);
    expect(leafRuns[1]).toBe(leafRuns[0]);
    expect(leafRuns[0]).toMatch(/^fam-1\.middle-[0-9a-f]{12}\.leaf-[0-9a-f]{12}$/);
    const status = JSON.parse((await runEcl(['status', '--json', '--store', store], { cwd: dir, env })).stdout) as StatusJson;
    expect(status.workflows).toMatchObject({ total: 3, byStatus: { completed: 3 } });
    const parent = JSON.parse((await runEcl(['status', 'fam-1', '--json', '--store', store], { cwd: dir, env })).stdout) as { output: unknown };
    expect(parent.output).toBe('family: middle of leaf of x');
  });
});

describe('a workflow waiting for a child that waits for a person', () => {
  it('ecl run says which child waits for what and exits 1; ecl send to that child finishes it, then its parent', async () => {
    const store = `sqlite:${join(dir, 'asker.db')}`;
    const args = ['--workflows', FAMILY, '--store', store];
    const run = await runEcl(['run', 'asker', '--input', '{"name":"x"}', '--id', 'ask-1', ...args], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const child = /\n {2}(ask-1\.approval-\S+) \(approved\): Waiting for a person at gate\.waiting \(approval\): APPROVE, REJECT, CANCEL\n/.exec(
      run.stdout,
    )?.[1];
    expect(run.stdout, run.stdout).toContain('Running ask-1 at ask.running, which waits on its child workflows:');
    expect(child).toBeDefined();
    expect(run.stdout).toContain(`e.g. ecl send ${child} APPROVE --workflows ${FAMILY} --store ${store}`);
    // Its status points at the child it waits on.
    const status = await runEcl(['status', 'ask-1', ...args], { cwd: dir });
    expect(status.stdout).toContain(`  children    ${child}  approved v1  waiting for approval at gate`);
    const listed = await runEcl(['list', '--parent', 'ask-1', ...args], { cwd: dir });
    expect(listed.stdout.trim().split('\n').slice(1)).toEqual([
      expect.stringMatching(new RegExp(`^${(child as string).replaceAll('.', '\\.')} +approved +v1 +waiting `)),
    ]);

    // A command the parent refuses appends nothing: its step, waiting on the child, is not resumed as a new attempt.
    const revision = async () => (JSON.parse((await runEcl(['status', 'ask-1', '--json', ...args], { cwd: dir })).stdout) as { revision: number }).revision;
    const before = await revision();
    const refused = await runEcl(['send', 'ask-1', 'APPROVE', ...args], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe('APPROVE is not allowed in state ask.running: it accepts CANCEL');
    expect(await revision()).toBe(before);

    const sent = await runEcl(['send', child as string, 'APPROVE', ...args], { cwd: dir });
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain(`Completed ${child}`);
    expect(sent.stdout).toMatch(/\nIts parent ask-1 \(asker\) goes on:\n {2}Completed ask-1 \(/);
    const parent = JSON.parse((await runEcl(['status', 'ask-1', '--json', ...args], { cwd: dir })).stdout) as { status: string; output: unknown };
    expect(parent).toMatchObject({ status: 'completed', output: 'asked: draft for x' });
  });
});
