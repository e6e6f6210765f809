import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killChildren, runEcl, tempFolder } from '../cli/cliHarness.js';

const folder = tempFolder();
const store = `sqlite:${join(folder.dir, 'ecl.db')}`;
const ecl = (...args: string[]) => runEcl([...args, '--store', store], { cwd: folder.dir });
const input = JSON.stringify({ instructions: 'A short brief on the pilot', documents: [{ name: 'pilot.md', text: 'Adoption reached 72 percent.' }] });

describe('ecl status, list, audit, projections and replay on a recorded run', () => {
  beforeAll(async () => {
    const run = await runEcl(
      ['run', 'brief', '--input', input, '--id', 'cli-1', '--llm', 'offline', '--store', store, '--artifacts', join(folder.dir, 'artifacts')],
      { cwd: folder.dir },
    );
    expect(run.code, run.stderr).toBe(0);
  });
  afterEach(() => killChildren());
  afterAll(() => folder.cleanup());

  it('status <id> --json shows the completed workflow from the read models', async () => {
    const { code, stdout } = await ecl('status', 'cli-1', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      workflowId: 'cli-1',
      definition: 'brief',
      version: 1,
      status: 'completed',
      state: 'completed',
      currentStep: 'load',
    });
  });

  it('status and list print tables; an unknown id exits 1', async () => {
    const all = await ecl('status');
    expect(all.stdout).toMatch(/^1 workflows: completed 1\nID +DEFINITION +STATUS +STEP +REV +UPDATED\ncli-1 +brief v1 +completed +load/);
    const list = await ecl('list', '--status', 'completed', '--definition', 'brief', '--json');
    expect(JSON.parse(list.stdout).items.map((item: { workflowId: string }) => item.workflowId)).toEqual(['cli-1']);
    expect((await ecl('list', '--status', 'waiting')).stdout.trim()).toBe('No workflows.');
    const unknown = await ecl('status', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No workflow "nope"/);
  });

  it('audit prints a timeline by step with verdicts, feedback and model accounting', async () => {
    const { code, stdout } = await ecl('audit', 'cli-1');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^workflow cli-1 · brief v1 · started \S+\n/);
    expect(stdout).toMatch(/\n {2}review #1\n/);
    expect(stdout).toMatch(/review completed: verdict revise\n +feedback: ".+"\n +\S+ · \d+ in \/ \d+ out tokens · \$0\.0000/);
    expect(stdout).toMatch(/\n\d+ events · \d+ model calls · /);
    // Each journaled model call is listed under its step, with its own accounting; the step's outcome repeats the total, counted once.
    expect(stdout).toMatch(/review model call 1 "complete#1" returned: \{"verdict":"revise".*\n +\S+ · \d+ in \/ \d+ out tokens/);
    expect(stdout).toMatch(/\n\d+ events · 5 model calls · /);
    // Multi-line model outputs are previewed on one line: every line is a header, an entry or a detail.
    expect(
      stdout
        .trimEnd()
        .split('\n')
        .every((line) => /^(workflow | {2}\S| {4}\d|\s{19,}\S|\d+ events)/.test(line)),
    ).toBe(true);
  });

  it('projections rebuild shows progress and leaves the same answers', async () => {
    const before = (await ecl('status', 'cli-1', '--json')).stdout;
    const rebuilt = await ecl('projections', 'rebuild');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stderr).toMatch(/rebuilding .*ecl\.projections\.db: \d+ events, position \d+ of \d+/);
    expect(rebuilt.stdout).toMatch(/^rebuilt .*: \d+ events in [\d.]+ s\n$/);
    expect((await ecl('status', 'cli-1', '--json')).stdout).toBe(before);
    const state = await ecl('projections', 'status', '--json');
    expect(JSON.parse(state.stdout)).toMatchObject({ positions: '0', skipped: [] });
  });

  it('replay --to prints transitions up to a revision; --verify passes on the untouched stream', async () => {
    const to = await ecl('replay', 'cli-1', '--to', '3');
    expect(to.code).toBe(0);
    // extract's model call is journaled (r2) before the step's outcome (r3).
    expect(to.stdout.split('\n').slice(1, 5)).toEqual([
      'r0    idle → WorkflowStarted → extract.pending',
      'r1    extract.pending → StepStarted extract #1 → extract.running  [extract=1]',
      'r2    extract.running → CallCompleted extract #1 "complete#1" → extract.running  [extract=1]',
      'r3    extract.running → StepCompleted extract #1 → extract.done  [extract=1]',
    ]);
    const verified = await ecl('replay', 'cli-1', '--verify');
    expect(verified.code).toBe(0);
    expect(verified.stderr).toMatch(/^verified: the fold reproduces the recorded history and outcome \(\d+ events\)/);
  });

  it('replay --verify exits 1 naming the revision of an event edited in the SQLite file', async () => {
    const db = new Database(join(folder.dir, 'ecl.db'));
    // Revision 4 is draft's StepStarted (extract: StepStarted, CallCompleted, StepCompleted at 1–3).
    const edited = db.prepare("UPDATE events SET data = json_set(data, '$.attempt', 2) WHERE revision = 4 AND type = 'StepStarted'").run();
    db.close();
    expect(edited.changes).toBe(1);
    const { code, stderr } = await ecl('replay', 'cli-1', '--verify');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^replay diverges at revision 4: the machine starts .*"attempt":1.*, the record says .*"attempt":2/);
  });
});
